import Foundation

/// CPU-bound batch work (checking an import's rows, signing a batch of certificates) spread over every core, outside
/// Swift's cooperative pool: that pool has one thread per core, and a writer's code between its database calls must
/// not queue behind the batch.
enum OnEveryCore {
    /// `transform` applied to consecutive slices of `items`, one slice per core (at most 8), or per core but
    /// `spare` of them; the results come back in the items' order. `transform` returns one result per item of its
    /// slice.
    static func map<T: Sendable, R: Sendable>(_ items: [T], sparing spare: Int = 0,
                                              _ transform: @escaping @Sendable (ArraySlice<T>) -> [R]) async -> [R] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount - spare, 8))
        let size = max(1, (items.count + parts - 1) / parts)
        let bounds = stride(from: 0, to: items.count, by: size).map { $0..<min($0 + size, items.count) }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                let results = Slots<[R]>(count: bounds.count, initial: [])
                DispatchQueue.concurrentPerform(iterations: bounds.count) { i in
                    results.set(i, transform(items[bounds[i]]))
                }
                let parts = results.take()
                // One part (two cores, one spared) is the result as it is: no copy of every element.
                continuation.resume(returning: parts.count == 1 ? parts[0] : parts.flatMap { $0 })
            }
        }
    }

    /// Fixed slots that concurrent workers fill, each worker its own index.
    final class Slots<T>: @unchecked Sendable {
        private let storage: UnsafeMutablePointer<T>
        private let count: Int

        init(count: Int, initial: T) {
            self.count = count
            storage = .allocate(capacity: max(count, 1))
            storage.initialize(repeating: initial, count: count)
        }

        func set(_ index: Int, _ value: T) { storage[index] = value }

        /// The filled slots, once every worker is done.
        func take() -> [T] { Array(UnsafeBufferPointer(start: storage, count: count)) }

        deinit {
            storage.deinitialize(count: count)
            storage.deallocate()
        }
    }
}
