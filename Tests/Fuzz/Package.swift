// swift-tools-version:6.0
// libFuzzer targets for the decoders. Built separately from the main package (see README.md):
//   swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
    name: "MedInferFuzz",
    dependencies: [.package(name: "MedInfer", path: "../..")],
    targets: [.target(name: "FuzzDriver")] + ["FuzzDICOM", "FuzzPNG", "FuzzJPEG"].map { name in
        .executableTarget(name: name, dependencies: ["FuzzDriver", .product(name: "Imaging", package: "MedInfer")])
    } + [
        .executableTarget(name: "FuzzONNX", dependencies: ["FuzzDriver", .product(name: "ONNX", package: "MedInfer"),
                                                           .product(name: "Engine", package: "MedInfer")]),
    ]
)
