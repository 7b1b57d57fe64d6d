import ArgumentParser

@main
struct MedInfer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "medinfer", abstract: "MedInfer")
}
