// swift-tools-version:6.0
import PackageDescription

/// Every target opts into the same upcoming features, so a dependency leaks
/// through a public API only with a visible `public import`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The one target built for AVX2 + FMA (x86-64-v3): the engine's own GEMM micro-kernel. `Kernels` calls it
/// only after checking the CPU at run time, so the binary still runs on older x86-64. Always optimised: at
/// -Onone SIMD8 code is ~10x slower, and the model tests run it in debug builds (VGG16 36 s -> 4 s).
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = strictSettings + [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-O"])]
#else
let avx2Settings: [SwiftSetting] = strictSettings
#endif

let package = Package(
    name: "MedInfer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "medinfer", targets: ["medinfer"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "DICOM", targets: ["DICOM"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "ONNX", targets: ["ONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // The only C we write: libpng, libjpeg and OpenJPEG calls wrapped so each returns an
        // error code and a message; setjmp/longjmp never crosses into Swift.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("openjp2")]
        ),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // What every layer shares and nothing more: the one model reference (`ModelRef`), so the queue can name a
        // model without knowing the engine, the repository or reports, and the one executor for blocking work.
        .target(name: "Core", dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")], swiftSettings: strictSettings),
        .target(name: "Tensor", swiftSettings: strictSettings),
        .target(name: "DICOM", dependencies: ["CZlib"], swiftSettings: strictSettings),
        .target(name: "Imaging", dependencies: ["DICOM", "CImageCodecs"], swiftSettings: strictSettings),
        .target(name: "KernelsAVX2", swiftSettings: avx2Settings),
        .target(name: "Kernels", dependencies: ["Tensor", "KernelsAVX2", "COpenBLAS"], swiftSettings: strictSettings),
        .target(name: "Engine", dependencies: ["Tensor", "Kernels", "COpenBLAS"], swiftSettings: strictSettings),
        .target(
            name: "ONNX",
            dependencies: ["Engine", "Tensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/README.md"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Models",
            dependencies: ["Core", "ONNX", "Engine", "Tensor", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // DICOM Upper Layer (PS3.8) and DIMSE (PS3.7) on SwiftNIO: associations, C-ECHO, C-STORE; no pixels, models or jobs.
        .target(
            name: "DICOMNetwork",
            dependencies: ["DICOM", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Reports and their writers (JSON, DICOM SR): no tensors, engine or jobs.
        .target(name: "Annotations", dependencies: ["Core", "DICOM"], swiftSettings: strictSettings),
        .target(name: "Pipeline", dependencies: ["Core", "Imaging", "DICOM", "Tensor", "Kernels", "Engine", "ONNX", "Models", "Annotations"],
                path: "Sources/Pipeline", swiftSettings: strictSettings),
        // Durable jobs behind a `QueueStore` (embedded SQLite in WAL mode; GRDB only in its store): rows, blobs,
        // leases, retries, idempotency, priorities, the audit chain and opaque artifacts. Knows no model, pixel,
        // report or HTTP: other modules add tables by `QueueMigration` and rows by hooks in its transactions.
        .target(
            name: "JobQueue",
            dependencies: ["Core", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The application above the queue and the pipeline: the worker and its engine thread, the analyzer
        // cache, the KServe batcher, SR assembly, model audit events. No HTTP.
        .target(
            name: "Inference",
            dependencies: ["Core", "JobQueue", "Pipeline", "Models", "Annotations", "Imaging", "DICOM", "Engine", "Tensor"],
            swiftSettings: strictSettings
        ),
        // The queue's rows in PostgreSQL (postgres-nio): a `QueueStore` for many API servers and workers on one database.
        .target(
            name: "JobQueuePostgres",
            dependencies: ["Core", "JobQueue", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // C-STORE -> jobs: the DICOM listener's storage service (admission, spool, quiet period), behind no HTTP.
        .target(
            name: "Intake",
            dependencies: ["Core", "JobQueue", "Imaging", "DICOM", "DICOMNetwork", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The HTTP front end (Hummingbird 2): translates HTTP <-> library calls; no kernels, protobuf or pixel formats.
        .target(
            name: "Server",
            dependencies: ["Core", "JobQueue", "JobQueuePostgres", "Inference", "Intake", "Pipeline", "Models", "Annotations", "Imaging", "DICOM",
                           "DICOMNetwork", "Engine", "Tensor",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),
        .target(name: "TestSupport", dependencies: ["Core", "Tensor", "CZlib", "Models", "ONNX", "Engine"], path: "Sources/TestSupport",
                swiftSettings: strictSettings),
        // Rewrites Tests/ONNXTests/node-tests.txt (Scripts/regenerate-node-tests.sh).
        .executableTarget(name: "NodeTestList", dependencies: ["TestSupport"], path: "Scripts/NodeTestList",
                          swiftSettings: strictSettings),
        // Queues for tests on every store available (SQLite; PostgreSQL when MEDINFER_TEST_POSTGRES_URL is set).
        .target(name: "QueueTestSupport", dependencies: ["Core", "JobQueue", "JobQueuePostgres"], path: "Sources/QueueTestSupport",
                swiftSettings: strictSettings),
        .executableTarget(
            name: "medinfer",
            dependencies: [
                "Core", "Imaging", "DICOM", "DICOMNetwork", "Tensor", "Engine", "Kernels", "ONNX", "Models", "Pipeline", "Annotations", "JobQueue",
                "Inference", "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "QueueBenchmark", dependencies: ["Core", "JobQueue", "Inference", "Pipeline", "Models", "Imaging", "Engine"],
                          path: "Benchmarks/QueueBenchmark", swiftSettings: strictSettings),
        .executableTarget(name: "DecodeBenchmark", dependencies: ["Imaging"], path: "Benchmarks/DecodeBenchmark",
                          swiftSettings: strictSettings),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "KernelsAVX2", "Tensor", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Kernels", "Tensor", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Engine", "Kernels", "Tensor", "TestSupport"],
                    exclude: ["node-tests.txt"], swiftSettings: strictSettings),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Engine", "ONNX", "Tensor", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "DICOMNetworkTests", dependencies: ["DICOMNetwork", "DICOM", "TestSupport",
                                                        .product(name: "NIOCore", package: "swift-nio"),
                                                        .product(name: "NIOPosix", package: "swift-nio")],
                    swiftSettings: strictSettings),
        .testTarget(name: "AnnotationsTests", dependencies: ["Annotations", "Core", "DICOM", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "DICOM", "Tensor", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Core", "Annotations", "Imaging", "Models", "Engine", "ONNX", "Tensor", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "JobQueueTests", dependencies: ["Core", "JobQueue", "QueueTestSupport", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "InferenceTests", dependencies: ["Core", "Inference", "JobQueue", "Models", "Annotations", "Imaging", "Pipeline",
                                                     "Engine", "Tensor", "DICOM", "TestSupport", "QueueTestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "JobQueuePostgresTests", dependencies: ["JobQueuePostgres", "JobQueue"], swiftSettings: strictSettings),
        .testTarget(name: "ServerTests", dependencies: ["Core", "Server", "Inference", "Intake", "JobQueue", "JobQueuePostgres", "QueueTestSupport", "Models", "Tensor", "TestSupport", "DICOMNetwork", "DICOM",
                                                  .product(name: "GRDB", package: "GRDB.swift"),
                                                  .product(name: "Crypto", package: "swift-crypto"),
                                                  .product(name: "Hummingbird", package: "hummingbird"),
                                                  .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                  .product(name: "HTTPTypes", package: "swift-http-types"),
                                                  .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strictSettings),
        .testTarget(name: "MedinferTests", dependencies: ["medinfer", "Core", "Imaging", "JobQueue", "Inference", "Models", "Tensor", "DICOM", "TestSupport",
                                                   "Server",  // remote mode: the CLI against an in-process server
                                                   .product(name: "Hummingbird", package: "hummingbird"),
                                                   .product(name: "HummingbirdTesting", package: "hummingbird")],
                    swiftSettings: strictSettings),
    ]
)
