import Foundation

/// Where "now" comes from; injected so that tests can fix the time.
public protocol TimeSource: Sendable {
    func now() -> Date
}

/// The real clock.
public struct SystemTimeSource: TimeSource {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that tests set by hand.
public final class ManualTimeSource: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }

    /// Moves the clock forward.
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}

extension Date {
    /// The date in China Standard Time (UTC+8, no daylight saving), the zone every rule here counts in.
    public var chinaLocalDate: LocalDate {
        let days = Int(((timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down))
        return LocalDate(dayNumber: days)
    }
}
