import Foundation

extension AnalyzeCommand {
    /// Wall-clock time of each batch of `analyze`, for the end-to-end benchmark (`--timing`, `--repeat`):
    /// from reading the first file of the batch to its last report printed or written (decode, preprocess,
    /// inference, report), without loading the model. The first round includes the engine's first-run set-up.
    struct BatchTimings {
        struct Batch: Encodable {
            /// 0-based round of `--repeat`.
            var round: Int
            /// Images of the batch that reached the model.
            var images: Int
            /// Milliseconds.
            var ms: Double
        }

        let batchSize: Int
        let threads: Int
        private(set) var batches: [Batch] = []

        init(batchSize: Int, threads: Int) {
            self.batchSize = batchSize
            self.threads = threads
        }

        mutating func record(round: Int, images: Int, since start: UInt64) {
            batches.append(Batch(round: round, images: images,
                                 ms: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6))
        }

        /// `{"batch_size":B,"threads":T,"batches":[{"round":R,"images":N,"ms":X},...]}`.
        func jsonLine() throws -> String {
            struct Line: Encodable { let batch_size: Int, threads: Int, batches: [Batch] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(Line(batch_size: batchSize, threads: threads, batches: batches)),
                          as: UTF8.self)
        }
    }
}
