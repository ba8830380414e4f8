/// An occupation of the 职业分类大典, identified by its code together with the 大典 edition (codes change between editions).
public struct Occupation: Sendable, Equatable, Codable {
    /// `N-NN-NN-NN`.
    public var code: String
    /// The 大典 edition the code belongs to, e.g. `2022`.
    public var classificationEdition: String
    public var name: String
    /// `S` 数字职业, `L` 绿色职业.
    public var flags: [String]
    /// 工种; empty where the occupation has none (certificates then show `--`).
    public var workTypes: [String]

    public init(code: String, classificationEdition: String, name: String, flags: [String] = [], workTypes: [String] = []) {
        self.code = code
        self.classificationEdition = classificationEdition
        self.name = name
        self.flags = flags
        self.workTypes = workTypes
    }

    /// Whether `code` has the form `N-NN-NN-NN`.
    public static func isValidCode(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.map(\.count) == [1, 2, 2, 2]
            && parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }
}
