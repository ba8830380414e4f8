import Foundation

/// The account lockout rule: after `maxFailures` consecutive failed sign-ins the account is locked for `lockFor`.
public struct LoginLockout: Sendable, Equatable {
    public var maxFailures: Int
    public var lockFor: TimeInterval

    public init(maxFailures: Int, lockFor: TimeInterval) {
        self.maxFailures = maxFailures
        self.lockFor = lockFor
    }

    /// What a failed attempt does to the account.
    public enum Outcome: Equatable, Sendable {
        /// Counted; the account stays open.
        case counted(failures: Int)
        /// This failure locked the account until the given time.
        case locked(until: Date, failures: Int)
    }

    /// Applies one failure to an account that had `failures` consecutive failures before.
    public func fail(previousFailures failures: Int, at now: Date) -> Outcome {
        let next = failures + 1
        return next >= maxFailures ? .locked(until: now + lockFor, failures: next) : .counted(failures: next)
    }

    /// Whether an account locked until `lockedUntil` is still locked at `now`.
    public static func isLocked(until lockedUntil: Date?, at now: Date) -> Bool {
        guard let lockedUntil else { return false }
        return lockedUntil > now
    }
}
