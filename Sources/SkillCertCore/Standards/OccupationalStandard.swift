/// A national occupational standard edition (国家职业技能标准) as data: the document that `docs/formats/standard.md`
/// describes and that is imported and exported as YAML.
public struct OccupationalStandard: Codable, Sendable, Equatable {
    /// The version of the document format; this code reads and writes version 1.
    public var schemaVersion: Int
    public var occupation: Occupation
    public var edition: Edition
    /// Free notes, e.g. which parts are sample content.
    public var notes: [String]?
    public var levels: [LevelSpec]
    /// 理论知识权重表.
    public var theoryWeights: WeightTable?
    /// 技能要求权重表.
    public var skillWeights: WeightTable?

    public static let currentSchemaVersion = 1

    public init(occupation: Occupation, edition: Edition, notes: [String]? = nil, levels: [LevelSpec],
                theoryWeights: WeightTable? = nil, skillWeights: WeightTable? = nil) {
        self.schemaVersion = OccupationalStandard.currentSchemaVersion
        self.occupation = occupation
        self.edition = edition
        self.notes = notes
        self.levels = levels
        self.theoryWeights = theoryWeights
        self.skillWeights = skillWeights
    }

    /// The edition: year and 人社厅发 document number.
    public struct Edition: Codable, Sendable, Equatable {
        /// Usually the year, e.g. `2018`.
        public var edition: String
        public var documentNumber: String
        /// `YYYY-MM-DD`.
        public var issuedOn: String?
        /// 本职业 or 本职业或相关职业: the default scope of the work conditions.
        public var scope: MatchScope?

        public init(edition: String, documentNumber: String, issuedOn: String? = nil, scope: MatchScope? = nil) {
            self.edition = edition
            self.documentNumber = documentNumber
            self.issuedOn = issuedOn
            self.scope = scope
        }
    }

    /// The levels offered, highest first.
    public var offeredLevels: [Level] { levels.map(\.level).sorted(by: >) }

    /// The specification of one level.
    public func spec(for level: Level) -> LevelSpec? { levels.first { $0.level == level } }
}

/// What the standard says about one level.
public struct LevelSpec: Codable, Sendable, Equatable {
    public var level: Level
    /// 申报条件: any one alternative suffices.
    public var eligibility: [EligibilityAlternative]
    public var parts: [AssessmentPart]
    public var staffing: StaffingRatios?
    /// 考场与设备要求.
    public var venue: String?
    /// 知识要求 and 技能要求, as the standard lists them.
    public var knowledge: [String]?
    public var skills: [String]?
    /// 鉴定要素细目表 per part.
    public var elementTables: [ElementTable]?

    public init(level: Level, eligibility: [EligibilityAlternative], parts: [AssessmentPart],
                staffing: StaffingRatios? = nil, venue: String? = nil, knowledge: [String]? = nil,
                skills: [String]? = nil, elementTables: [ElementTable]? = nil) {
        self.level = level
        self.eligibility = eligibility
        self.parts = parts
        self.staffing = staffing
        self.venue = venue
        self.knowledge = knowledge
        self.skills = skills
        self.elementTables = elementTables
    }
}

/// The parts of an assessment.
public enum AssessmentPartKind: String, Codable, Sendable, CaseIterable {
    case theory
    case skills
    case comprehensiveReview = "comprehensive-review"

    public var nameZH: String {
        switch self {
        case .theory: "理论知识考试"
        case .skills: "操作技能考核"
        case .comprehensiveReview: "综合评审"
        }
    }

    public var nameEN: String {
        switch self {
        case .theory: "Theory exam"
        case .skills: "Skills assessment"
        case .comprehensiveReview: "Comprehensive review"
        }
    }
}

/// One part of a level's assessment.
public struct AssessmentPart: Codable, Sendable, Equatable {
    public var part: AssessmentPartKind
    /// e.g. 闭卷笔试, 机考, 现场操作, 答辩.
    public var methods: [String]
    /// Minimum duration in minutes.
    public var minutes: Int
    /// Out of 100.
    public var passMark: Int
    /// Whether passing this part is required (default yes).
    public var required: Bool?
    /// The part's results are also given as grades (优秀/良好/中等/合格), where the standard uses a grade scale.
    public var gradeScale: Bool?

    public init(part: AssessmentPartKind, methods: [String], minutes: Int, passMark: Int = 60, required: Bool? = nil, gradeScale: Bool? = nil) {
        self.part = part
        self.methods = methods
        self.minutes = minutes
        self.passMark = passMark
        self.required = required
        self.gradeScale = gradeScale
    }
}

/// Staff-to-candidate ratios. Defaults are the common values of `shared/domain.md`.
public struct StaffingRatios: Codable, Sendable, Equatable {
    public var theoryCandidatesPerInvigilator: Int
    public var theoryMinInvigilatorsPerRoom: Int
    public var skillsCandidatesPerExaminer: Int
    public var skillsMinExaminers: Int
    public var reviewPanelMin: Int

    public static let common = StaffingRatios(theoryCandidatesPerInvigilator: 15, theoryMinInvigilatorsPerRoom: 2,
                                              skillsCandidatesPerExaminer: 5, skillsMinExaminers: 3, reviewPanelMin: 3)

    public init(theoryCandidatesPerInvigilator: Int, theoryMinInvigilatorsPerRoom: Int, skillsCandidatesPerExaminer: Int,
                skillsMinExaminers: Int, reviewPanelMin: Int) {
        self.theoryCandidatesPerInvigilator = theoryCandidatesPerInvigilator
        self.theoryMinInvigilatorsPerRoom = theoryMinInvigilatorsPerRoom
        self.skillsCandidatesPerExaminer = skillsCandidatesPerExaminer
        self.skillsMinExaminers = skillsMinExaminers
        self.reviewPanelMin = reviewPanelMin
    }
}

/// A weight table: one column per level (in `levels` order), one row per requirement, percentages.
public struct WeightTable: Codable, Sendable, Equatable {
    public var levels: [Level]
    public var rows: [Row]

    public struct Row: Codable, Sendable, Equatable {
        public var name: String
        /// `basic` (基本要求) or `knowledge` / `skill` (by 职业功能).
        public var category: String?
        public var percents: [Int]

        public init(name: String, category: String? = nil, percents: [Int]) {
            self.name = name
            self.category = category
            self.percents = percents
        }
    }

    public init(levels: [Level], rows: [Row]) {
        self.levels = levels
        self.rows = rows
    }

    /// The column total for one level.
    public func total(for level: Level) -> Int? {
        guard let i = levels.firstIndex(of: level) else { return nil }
        return rows.reduce(0) { $0 + (i < $1.percents.count ? min(max($1.percents[i], -1000), 1000) : 0) }
    }
}

/// Importance of an element: X core, Y general, Z minor.
public enum ElementImportance: String, Codable, Sendable, CaseIterable {
    case X, Y, Z
}

/// 鉴定要素细目表 of one part of one level: scopes with their weights, down to elements.
public struct ElementTable: Codable, Sendable, Equatable {
    public var part: AssessmentPartKind
    public var scopes: [Scope]

    public struct Scope: Codable, Sendable, Equatable {
        /// `A`, `B`, …
        public var code: String
        public var name: String
        /// 鉴定比重, percent.
        public var weight: Int
        public var elements: [Element]

        public init(code: String, name: String, weight: Int, elements: [Element]) {
            self.code = code
            self.name = name
            self.weight = weight
            self.elements = elements
        }
    }

    public struct Element: Codable, Sendable, Equatable {
        /// `001`, …
        public var code: String
        public var name: String
        public var importance: ElementImportance

        public init(code: String, name: String, importance: ElementImportance) {
            self.code = code
            self.name = name
            self.importance = importance
        }
    }

    public init(part: AssessmentPartKind, scopes: [Scope]) {
        self.part = part
        self.scopes = scopes
    }

    public var elementCount: Int { scopes.reduce(0) { $0 + $1.elements.count } }
}
