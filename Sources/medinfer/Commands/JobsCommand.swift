import ArgumentParser

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "The durable job queue of a data directory: submit scans, follow them, read results.",
        discussion: """
            Jobs are run by `medinfer worker` (or `medinfer serve`) on the same data directory.

            Example:
              id=$(medinfer jobs submit scan.dcm) && medinfer jobs watch $id && medinfer jobs result $id
            """,
        subcommands: [JobsSubmitCommand.self, JobsListCommand.self, JobsShowCommand.self, JobsWatchCommand.self,
                      JobsResultCommand.self, JobsCancelCommand.self, JobsPruneCommand.self]
    )
}
