import Crypto
import Foundation

/// One entry of the hash-chained audit log, in the form its hash is computed over.
public struct AuditRecord: Sendable, Equatable, Codable {
    /// Position in the chain, from 1.
    public var sequence: Int
    /// When it happened, ISO 8601 UTC with milliseconds (kept as text so the hash input round-trips exactly).
    public var occurredAt: String
    public var actorID: String?
    public var actorName: String
    /// What was done, dotted: `user.create`, `auth.lockout`, `body.update`.
    public var action: String
    public var targetType: String
    public var targetID: String?
    /// Why, where the action requires a reason.
    public var reason: String?
    /// SHA-256 of the canonical state before and after, or nil where there was none.
    public var beforeDigest: String?
    public var afterDigest: String?
    /// A short, non-confidential description of what changed.
    public var details: String
    public var previousHash: String
    public var hash: String

    public init(sequence: Int, occurredAt: String, actorID: String?, actorName: String, action: String,
                targetType: String, targetID: String?, reason: String?, beforeDigest: String?, afterDigest: String?,
                details: String, previousHash: String, hash: String) {
        self.sequence = sequence
        self.occurredAt = occurredAt
        self.actorID = actorID
        self.actorName = actorName
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.reason = reason
        self.beforeDigest = beforeDigest
        self.afterDigest = afterDigest
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The hash of the first entry's predecessor.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Computes the hash of an entry from its fields and its predecessor's hash.
    public static func computeHash(sequence: Int, occurredAt: String, actorID: String?, actorName: String,
                                   action: String, targetType: String, targetID: String?, reason: String?,
                                   beforeDigest: String?, afterDigest: String?, details: String,
                                   previousHash: String) -> String {
        // Unit separators keep field boundaries unambiguous; "\u{0}" marks an absent value.
        let fields: [String] = [String(sequence), occurredAt, actorID ?? "\u{0}", actorName, action, targetType,
                                targetID ?? "\u{0}", reason ?? "\u{0}", beforeDigest ?? "\u{0}",
                                afterDigest ?? "\u{0}", details, previousHash]
        let input = fields.joined(separator: "\u{1F}")
        return SHA256.hash(data: Data(input.utf8)).hexString
    }

    /// The hash this entry should have, given its own fields.
    public var expectedHash: String {
        AuditRecord.computeHash(sequence: sequence, occurredAt: occurredAt, actorID: actorID, actorName: actorName,
                                action: action, targetType: targetType, targetID: targetID, reason: reason,
                                beforeDigest: beforeDigest, afterDigest: afterDigest, details: details,
                                previousHash: previousHash)
    }

    /// Formats a time the way `occurredAt` stores it.
    public static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Int(ms / 1000 - (ms % 1000 < 0 ? 1 : 0))
        let millis = Int((ms % 1000 + 1000) % 1000)
        let day = LocalDate(dayNumber: Int((Double(seconds) / 86_400).rounded(.down)))
        let secOfDay = seconds - day.dayNumber * 86_400
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(day)T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay / 60 % 60, 2)):\(pad(secOfDay % 60, 2)).\(pad(millis, 3))Z"
    }
}

/// Canonical digests of before/after states: keys sorted, so the same state always gives the same digest.
public enum StateDigest {
    public static func of<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data()
        return SHA256.hash(data: data).hexString
    }
}

/// Walks a chain and finds the first entry that does not match.
public enum AuditChainVerifier {
    /// Why an entry fails verification.
    public enum Break: Error, Equatable, Sendable {
        case sequenceGap(expected: Int, found: Int)
        case previousHashMismatch(sequence: Int)
        case hashMismatch(sequence: Int)

        public var sequence: Int {
            switch self {
            case .sequenceGap(_, let found): found
            case .previousHashMismatch(let s), .hashMismatch(let s): s
            }
        }

        public var explanation: String {
            switch self {
            case .sequenceGap(let expected, let found): "entry #\(found): expected #\(expected) (an entry is missing)"
            case .previousHashMismatch(let s): "entry #\(s): previous-hash does not match entry #\(s - 1)"
            case .hashMismatch(let s): "entry #\(s): content does not match its hash (altered)"
            }
        }
    }

    /// A running verification, fed entries in order, so that huge logs are checked in pages.
    public struct State: Sendable {
        public private(set) var expectedSequence = 1
        public private(set) var previousHash = AuditRecord.genesisHash
        public init() {}

        /// Checks the next entry; returns the break, or nil when it links and matches.
        public mutating func check(_ record: AuditRecord) -> Break? {
            if record.sequence != expectedSequence {
                return .sequenceGap(expected: expectedSequence, found: record.sequence)
            }
            if record.previousHash != previousHash { return .previousHashMismatch(sequence: record.sequence) }
            if record.expectedHash != record.hash { return .hashMismatch(sequence: record.sequence) }
            expectedSequence += 1
            previousHash = record.hash
            return nil
        }
    }

    /// Verifies a whole chain held in memory.
    public static func verify(_ records: [AuditRecord]) -> Break? {
        var state = State()
        for r in records { if let b = state.check(r) { return b } }
        return nil
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hexString: String { hexString(uppercase: false) }

    public func hexString(uppercase: Bool) -> String {
        // Written straight into the string's storage: digests and keyed hashes are made for every imported row.
        if let text = withContiguousStorageIfAvailable({ hexText($0, uppercase: uppercase) }) { return text }
        return Array(self).withUnsafeBufferPointer { hexText($0, uppercase: uppercase) }
    }
}

/// Two hexadecimal digits per byte.
private func hexText(_ bytes: UnsafeBufferPointer<UInt8>, uppercase: Bool) -> String {
    let letters: UInt8 = uppercase ? UInt8(ascii: "A") - 10 : UInt8(ascii: "a") - 10
    return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
        for (i, b) in bytes.enumerated() {
            let high = b >> 4, low = b & 0xF
            out[2 * i] = high < 10 ? UInt8(ascii: "0") + high : letters + high
            out[2 * i + 1] = low < 10 ? UInt8(ascii: "0") + low : letters + low
        }
        return bytes.count * 2
    }
}

extension SHA256.Digest {
    public var hexString: String { Array(self).hexString }
}
