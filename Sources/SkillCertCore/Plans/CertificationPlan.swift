/// A certification plan (认定计划/批次): one announced round for an occupation's standard edition and some levels.
public struct CertificationPlan: Codable, Sendable, Equatable {
    public var title: String
    public var standardID: String
    public var occupationName: String
    public var levels: [Int]
    /// 工种, or nil (certificates show `--`).
    public var workType: String?
    public var registrationOpens: LocalDate
    public var registrationCloses: LocalDate
    public var examDates: [ExamDate]
    public var venues: [String]
    /// Fee per application in yuan (0: free).
    public var feeYuan: Int
    public var capacity: Int
    /// Materials to submit, per level.
    public var materials: [Materials]
    public var notes: String

    public struct ExamDate: Codable, Sendable, Equatable {
        public var part: AssessmentPartKind
        public var date: LocalDate
        public init(part: AssessmentPartKind, date: LocalDate) {
            self.part = part
            self.date = date
        }
    }

    public struct Materials: Codable, Sendable, Equatable {
        public var level: Int
        public var items: [String]
        public init(level: Int, items: [String]) {
            self.level = level
            self.items = items
        }
    }

    public init(title: String, standardID: String, occupationName: String, levels: [Int], workType: String?,
                registrationOpens: LocalDate, registrationCloses: LocalDate, examDates: [ExamDate], venues: [String],
                feeYuan: Int, capacity: Int, materials: [Materials], notes: String) {
        self.title = title
        self.standardID = standardID
        self.occupationName = occupationName
        self.levels = levels
        self.workType = workType
        self.registrationOpens = registrationOpens
        self.registrationCloses = registrationCloses
        self.examDates = examDates
        self.venues = venues
        self.feeYuan = feeYuan
        self.capacity = capacity
        self.materials = materials
        self.notes = notes
    }

    /// Every problem, by field, given the levels and parts the standard offers.
    public func problems(offeredLevels: Set<Int>, parts: Set<AssessmentPartKind>, workTypes: [String]) -> [FieldError] {
        var v = FieldValidator()
        v.require(title, field: "title", label: "计划名称", maxLength: 200)
        if levels.isEmpty {
            v.add(FieldError(code: "required", field: "levels", zh: "至少选择一个等级", en: "choose at least one level"))
        }
        for l in levels where !offeredLevels.contains(l) {
            v.add(FieldError(code: "level_not_offered", field: "levels", zh: "该标准不设 \(Level(l).shortName)", en: "level \(l) is not offered"))
        }
        if let w = workType, !w.isEmpty, !workTypes.contains(w) {
            v.add(FieldError(code: "unknown_work_type", field: "workType", zh: "该职业没有工种“\(w)”", en: "unknown work type"))
        }
        if !(2000...2100).contains(registrationOpens.year) || !(2000...2100).contains(registrationCloses.year) {
            v.add(FieldError(code: "out_of_range", field: "registrationOpens", zh: "报名日期应在 2000–2100 年之间",
                             en: "registration dates must be between 2000 and 2100"))
        }
        if registrationCloses < registrationOpens {
            v.add(FieldError(code: "range_reversed", field: "registrationCloses", zh: "报名截止日期早于开始日期",
                             en: "registration closes before it opens"))
        }
        for (i, e) in examDates.enumerated() {
            if !parts.contains(e.part) {
                v.add(FieldError(code: "unknown_part", field: "examDates[\(i)]", zh: "该标准没有“\(e.part.nameZH)”", en: "no such part"))
            }
            if e.date <= registrationCloses {
                v.add(FieldError(code: "exam_before_close", field: "examDates[\(i)]",
                                 zh: "\(e.part.nameZH)日期应晚于报名截止日期", en: "the exam date must be after registration closes"))
            }
        }
        if venues.filter({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }).isEmpty {
            v.add(.required("venues", label: "考点"))
        }
        if feeYuan < 0 || feeYuan > 100_000 {
            v.add(FieldError(code: "out_of_range", field: "feeYuan", zh: "收费应在 0–100000 元之间", en: "fee must be 0–100000 yuan"))
        }
        if capacity < 1 || capacity > 1_000_000 {
            v.add(FieldError(code: "out_of_range", field: "capacity", zh: "计划人数应为正整数", en: "capacity must be a positive number"))
        }
        return v.errors
    }
}

/// A plan's life cycle: drafted by coordination, approved by leadership, then published; closed at the end.
public enum PlanStatus: String, Codable, Sendable, CaseIterable {
    case draft
    case submitted
    case approved
    case published
    case closed

    public var nameZH: String {
        switch self {
        case .draft: "草稿"
        case .submitted: "待审批"
        case .approved: "已审批"
        case .published: "已发布"
        case .closed: "已结束"
        }
    }

    public var nameEN: String {
        switch self {
        case .draft: "Draft"
        case .submitted: "Awaiting approval"
        case .approved: "Approved"
        case .published: "Published"
        case .closed: "Closed"
        }
    }
}
