import Foundation

/// A candidate's sign-up address: a mainland mobile number or an e-mail address.
public enum ContactAddress: Equatable, Sendable {
    case mobile(String)
    case email(String)

    /// Parses what a person typed; nil when it is neither.
    public init?(_ raw: String) {
        // The common case first, without copying: eleven ASCII digits, 13x–19x.
        if raw.utf8.count == 11, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
           raw.utf8.first == UInt8(ascii: "1"), raw.utf8.dropFirst().first! >= UInt8(ascii: "3") {
            self = .mobile(raw)
            return
        }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let digits = text.filter { $0 != " " && $0 != "-" }
        if digits.count == 11, digits.first == "1", digits.allSatisfy({ $0.isASCII && $0.isNumber }),
           let second = digits.dropFirst().first, ("3"..."9").contains(String(second)) {
            self = .mobile(digits)
            return
        }
        let parts = text.lowercased().split(separator: "@", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
           text.count <= 100, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
            self = .email(text.lowercased())
            return
        }
        return nil
    }

    public var value: String {
        switch self {
        case .mobile(let m): m
        case .email(let e): e
        }
    }

    public var channel: String {
        switch self {
        case .mobile: "sms"
        case .email: "email"
        }
    }

    /// `138****8000` or `z***@example.com`.
    public var masked: String {
        switch self {
        case .mobile(let m):
            return String(m.prefix(3)) + "****" + String(m.suffix(4))
        case .email(let e):
            let parts = e.split(separator: "@")
            return String(parts[0].prefix(1)) + "***@" + (parts.count > 1 ? String(parts[1]) : "")
        }
    }
}

