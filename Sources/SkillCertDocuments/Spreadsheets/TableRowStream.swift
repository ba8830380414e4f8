import Foundation
import SkillCertCore

/// Feeds the rows of an uploaded file to async code in chunks, reading on its own thread. The reader waits while
/// two chunks are unconsumed, so memory stays bounded however large the file is; when the consumer stops early,
/// the reader stops too.
public enum TableRowStream {
    public static func chunks(fileAt url: URL, size: Int = 500) -> Chunks {
        let gate = Gate()
        let stream = AsyncThrowingStream<[TableRow], any Error> { continuation in
            continuation.onTermination = { _ in gate.cancel() }
            let thread = Thread {
                var chunk: [TableRow] = []
                chunk.reserveCapacity(size)
                do {
                    try TableReader.rows(fileAt: url) { number, cells in
                        chunk.append(TableRow(number: number, cells: cells))
                        if chunk.count == size {
                            try gate.waitForRoom()
                            continuation.yield(chunk)
                            chunk.removeAll(keepingCapacity: true)
                        }
                    }
                    if !chunk.isEmpty {
                        try gate.waitForRoom()
                        continuation.yield(chunk)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        return Chunks(stream: stream, gate: gate)
    }

    /// The chunks of one file; each chunk taken makes room for the reader.
    public struct Chunks: AsyncSequence, Sendable {
        public typealias Element = [TableRow]
        let stream: AsyncThrowingStream<[TableRow], any Error>
        let gate: Gate

        public struct AsyncIterator: AsyncIteratorProtocol {
            var inner: AsyncThrowingStream<[TableRow], any Error>.AsyncIterator
            let gate: Gate

            public mutating func next() async throws -> [TableRow]? {
                guard let chunk = try await inner.next() else { return nil }
                gate.consumed()
                return chunk
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(inner: stream.makeAsyncIterator(), gate: gate)
        }
    }

    /// Counts chunks in flight; the reader blocks at the limit until the consumer takes one.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var inFlight = 0
        private var cancelled = false
        private let limit = 2

        struct Cancelled: Error {}

        func waitForRoom() throws {
            condition.lock()
            defer { condition.unlock() }
            while inFlight >= limit && !cancelled { condition.wait() }
            if cancelled { throw Cancelled() }
            inFlight += 1
        }

        func consumed() {
            condition.lock()
            inFlight -= 1
            condition.signal()
            condition.unlock()
        }

        func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
