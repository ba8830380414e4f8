import Foundation

/// Time spent in each named step of a batch job, added up over its chunks (benchmarks print it).
final class StepClock: @unchecked Sendable {  // `totals` only under `lock`
    private let lock = NSLock()
    private var totals: [String: Duration] = [:]

    /// Adds the time since `mark` to `step` and moves `mark` to now.
    func add(_ step: String, since mark: inout ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let elapsed = now - mark
        mark = now
        lock.withLock { totals[step, default: .zero] += elapsed }
    }

    var seconds: [String: Double] {
        lock.withLock { totals.mapValues { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } }
    }
}
