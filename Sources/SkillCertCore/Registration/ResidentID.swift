/// A mainland resident identity number (居民身份证号码), GB 11643-1999: 17 digits and a check character.
public struct ResidentID: Equatable, Sendable {
    public let number: String
    public let birthDate: LocalDate
    public enum Sex: String, Sendable { case male, female }
    public let sex: Sex

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432")

    /// Why a number is not a valid resident ID.
    public enum Problem: Error, Equatable, Sendable {
        case legacyFifteenDigits
        case wrongLength(Int)
        case notDigits
        case badBirthDate
        case birthInFuture
        case checkDigitMismatch(expected: Character)

        public var messageZH: String {
            switch self {
            case .legacyFifteenDigits: "15 位旧版身份证号码已停止使用，请填写 18 位居民身份证号码"
            case .wrongLength(let n): "居民身份证号码应为 18 位（现为 \(n) 位）"
            case .notDigits: "居民身份证号码前 17 位应为数字，最后一位为数字或 X"
            case .badBirthDate: "居民身份证号码中的出生日期无效"
            case .birthInFuture: "居民身份证号码中的出生日期晚于今天"
            case .checkDigitMismatch: "居民身份证号码校验位不正确，请核对号码"
            }
        }

        public var messageEN: String {
            switch self {
            case .legacyFifteenDigits: "15-digit legacy ID numbers are no longer accepted; enter the 18-digit number"
            case .wrongLength(let n): "a resident ID has 18 characters (this has \(n))"
            case .notDigits: "the first 17 characters must be digits and the last a digit or X"
            case .badBirthDate: "the birth date in the ID number is not a valid date"
            case .birthInFuture: "the birth date in the ID number is in the future"
            case .checkDigitMismatch(let c): "the check character does not match (expected \(c))"
            }
        }

        public var code: String {
            switch self {
            case .legacyFifteenDigits: "legacy_id"
            case .wrongLength: "wrong_length"
            case .notDigits: "invalid_characters"
            case .badBirthDate: "invalid_birth_date"
            case .birthInFuture: "birth_in_future"
            case .checkDigitMismatch: "check_digit"
            }
        }
    }

    /// Validates a number (spaces trimmed, a lower-case x accepted) as of `today`.
    public static func parse(_ raw: String, today: LocalDate) -> Result<ResidentID, Problem> {
        let text = normalized(raw)
        let bytes = Array(text.utf8)
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if bytes.count == 15 && bytes.allSatisfy(isDigit) { return .failure(.legacyFifteenDigits) }
        guard bytes.count == 18, bytes[0..<17].allSatisfy(isDigit), isDigit(bytes[17]) || bytes[17] == UInt8(ascii: "X") else {
            return .failure(text.count == 18 ? .notDigits : .wrongLength(text.count))
        }
        let digits = bytes[0..<17].map { Int($0 - UInt8(ascii: "0")) }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + $1 } }
        guard let birth = LocalDate(year: number(6..<10), month: number(10..<12), day: number(12..<14)), birth.year >= 1850 else {
            return .failure(.badBirthDate)
        }
        if birth > today { return .failure(.birthInFuture) }
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let expected = checkCharacters[sum % 11]
        guard Character(UnicodeScalar(bytes[17])) == expected else { return .failure(.checkDigitMismatch(expected: expected)) }
        return .success(ResidentID(number: text, birthDate: birth, sex: (digits[16] % 2 == 1) ? .male : .female))
    }

    /// A document number as entered, without whitespace and in upper case (`x` → `X`).
    public static func normalized(_ raw: String) -> String {
        if raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && !(0x61...0x7a).contains($0) }) { return raw }
        return raw.filter { !$0.isWhitespace }.uppercased()
    }

    /// The 18-character number made of 17 digits and their check character (for generating test and sample data).
    public static func completing(_ first17: String) -> String? {
        let digits = first17.compactMap { $0.wholeNumberValue }
        guard first17.count == 17, digits.count == 17 else { return nil }
        return first17 + String(checkCharacters[zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11])
    }

    /// `110105********1234`: the first six and last four characters, the rest masked.
    public static func mask(_ number: String) -> String {
        guard number.count > 10 else { return String(repeating: "*", count: number.count) }
        return String(number.prefix(6)) + String(repeating: "*", count: number.count - 10) + String(number.suffix(4))
    }
}
