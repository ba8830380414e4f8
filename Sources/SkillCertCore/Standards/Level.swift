/// A vocational skill level. Levels are data: 5 (五级/初级工) … 1 (一级/高级技师) ship, and the 新八级工 scheme's
/// 学徒工 (6), 特级技师 (0) and 首席技师 (-1) are in the catalogue so standards can offer them.
/// A smaller number is a higher level.
public struct Level: Hashable, Comparable, Sendable, Codable {
    public let number: Int

    public init(_ number: Int) { self.number = number }

    /// The catalogue of levels the product knows, highest first.
    public static let catalogue: [Int: (short: String, long: String, english: String)] = [
        -1: ("首席技师", "首席技师", "Chief technician"),
        0: ("特级技师", "特级技师", "Principal technician"),
        1: ("一级", "一级/高级技师", "Level 1 / Senior technician"),
        2: ("二级", "二级/技师", "Level 2 / Technician"),
        3: ("三级", "三级/高级工", "Level 3 / Senior worker"),
        4: ("四级", "四级/中级工", "Level 4 / Intermediate worker"),
        5: ("五级", "五级/初级工", "Level 5 / Junior worker"),
        6: ("学徒工", "学徒工", "Apprentice"),
    ]

    public var isKnown: Bool { Level.catalogue[number] != nil }
    /// `三级`.
    public var shortName: String { Level.catalogue[number]?.short ?? "\(number) 级" }
    /// `三级/高级工`, as certificates show it.
    public var fullName: String { Level.catalogue[number]?.long ?? "\(number) 级" }
    public var englishName: String { Level.catalogue[number]?.english ?? "Level \(number)" }

    /// Whether holding this level satisfies a requirement for `required` (a higher level satisfies a lower one).
    public func satisfies(_ required: Level) -> Bool { number <= required.number }

    /// Ordered from the lowest level to the highest.
    public static func < (a: Level, b: Level) -> Bool { a.number > b.number }

    public init(from decoder: any Decoder) throws {
        number = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(number)
    }
}
