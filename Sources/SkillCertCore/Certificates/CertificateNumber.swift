import Foundation

/// A 职业技能等级证书 number (`shared/domain.md`, Certificates): 1 letter + 21 digits — body type, 4-digit body code,
/// 2-digit province, 6-digit site, 2-digit year, level, 6-digit serial allocated per (body, site, year, level).
public struct CertificateNumber: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var bodyType: CertificationBody.BodyType
    public var bodyCode: String
    public var provinceCode: String
    public var siteCode: String
    /// Last two digits of the issue year.
    public var year: Int
    public var level: Int
    public var serial: Int

    public init(bodyType: CertificationBody.BodyType, bodyCode: String, provinceCode: String, siteCode: String, year: Int, level: Int, serial: Int) {
        self.bodyType = bodyType
        self.bodyCode = bodyCode
        self.provinceCode = provinceCode
        self.siteCode = siteCode
        self.year = year % 100
        self.level = level
        self.serial = serial
    }

    /// Why a number cannot be formed from these parts, or nil when it can.
    public static func problem(bodyCode: String, provinceCode: String, siteCode: String, level: Int, serial: Int) -> String? {
        func digits(_ s: String, _ n: Int) -> Bool { s.count == n && s.allSatisfy { $0.isASCII && $0.isNumber } }
        if !digits(bodyCode, 4) { return "机构代码应为 4 位数字" }
        if !digits(provinceCode, 2) { return "省份代码应为 2 位数字" }
        if !digits(siteCode, 6) { return "站点代码应为 6 位数字" }
        if !(1...5).contains(level) { return "证书等级应为 1–5 级" }
        if !(1...999_999).contains(serial) { return "流水号已用尽（每个机构、站点、年度、等级最多 999999 本）" }
        return nil
    }

    public var description: String {
        bodyType.rawValue + bodyCode + provinceCode + siteCode + Self.digits(year, 2) + String(level) + Self.digits(serial, 6)
    }

    /// `value` with leading zeros to `width` digits (`String(format:)` costs more than the rest of a number).
    public static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `^[YS]\d{21}$`.
    public static func isValid(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count == 22, chars[0] == UInt8(ascii: "Y") || chars[0] == UInt8(ascii: "S") else { return false }
        return chars.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Reads a number back into its parts.
    public init?(_ text: String) {
        guard Self.isValid(text), let type = CertificationBody.BodyType(rawValue: String(text.prefix(1))) else { return nil }
        let s = Array(text)
        func part(_ from: Int, _ length: Int) -> String { String(s[from..<(from + length)]) }
        self.init(bodyType: type, bodyCode: part(1, 4), provinceCode: part(5, 2), siteCode: part(7, 6), year: Int(part(13, 2))!,
                  level: Int(part(15, 1))!, serial: Int(part(16, 6))!)
    }
}

/// A certificate's standing, as the status list and the public page show it.
public enum CertificateStatus: String, Sendable, Codable, CaseIterable {
    case valid, suspended, revoked

    public var nameZH: String {
        switch self {
        case .valid: "有效"
        case .suspended: "暂停"
        case .revoked: "已撤销"
        }
    }
}

/// Serial numbers written as ranges for people: `[3, 4, 5, 9]` is `3-5,9`.
public enum SerialRanges {
    public static func text(_ serials: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = serials.sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The serials of a text written by `text(_:)`.
    public static func serials(_ text: String) -> [Int] {
        text.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            return ends.count == 2 && ends[0] <= ends[1] ? Array(ends[0]...ends[1]) : ends.count == 1 ? ends : []
        }
    }
}
