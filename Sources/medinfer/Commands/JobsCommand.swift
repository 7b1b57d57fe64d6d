import ArgumentParser

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "The durable job queue of a data directory: submit scans, follow them, read results.",
        discussion: """
            Jobs are run by `medinfer worker` (or `medinfer serve`) on the same data directory. With --server URL \
            --api-key KEY (or MEDINFER_SERVER, MEDINFER_API_KEY), submit, list, show, watch, result and cancel \
            talk to a running `medinfer serve` over HTTP instead, with the same output.

            Example:
              id=$(medinfer jobs submit scan.dcm) && medinfer jobs watch $id && medinfer jobs result $id
            """,
        subcommands: [JobsSubmitCommand.self, JobsListCommand.self, JobsShowCommand.self, JobsWatchCommand.self,
                      JobsResultCommand.self, JobsCancelCommand.self, JobsPruneCommand.self]
    )
}
