/// The kinds of item in the bank.
public enum ItemType: String, Codable, Sendable, CaseIterable, Comparable {
    case singleChoice = "single-choice"
    case multipleChoice = "multiple-choice"
    case trueFalse = "true-false"
    case fillIn = "fill-in"
    case practicalTask = "practical-task"

    public var nameZH: String {
        switch self {
        case .singleChoice: "单选题"
        case .multipleChoice: "多选题"
        case .trueFalse: "判断题"
        case .fillIn: "填空题"
        case .practicalTask: "操作技能考核任务"
        }
    }

    public var nameEN: String {
        switch self {
        case .singleChoice: "Single choice"
        case .multipleChoice: "Multiple choice"
        case .trueFalse: "True/false"
        case .fillIn: "Fill-in"
        case .practicalTask: "Practical task card"
        }
    }

    /// Whether items of this type are scored automatically.
    public var isObjective: Bool { self != .practicalTask }

    public static func < (a: ItemType, b: ItemType) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The confidential content of an item: what is encrypted at rest.
public struct ItemContent: Codable, Sendable, Equatable {
    /// The question or task text.
    public var stem: String
    /// Choice options, in order (choice items).
    public var options: [String]?
    /// Indexes of the correct options (choice items), or `[0]` true / `[1]` false for true-false.
    public var correct: [Int]?
    /// Accepted answers for a fill-in blank; an answer matching any one is correct.
    public var acceptedAnswers: [String]?
    public var explanation: String?
    /// Practical task card.
    public var task: TaskCard?

    public init(stem: String, options: [String]? = nil, correct: [Int]? = nil, acceptedAnswers: [String]? = nil,
                explanation: String? = nil, task: TaskCard? = nil) {
        self.stem = stem
        self.options = options
        self.correct = correct
        self.acceptedAnswers = acceptedAnswers
        self.explanation = explanation
        self.task = task
    }
}

/// A practical task card: preparation notice, time, and the score sheet.
public struct TaskCard: Codable, Sendable, Equatable {
    /// 考核准备通知单: what the venue and the candidate prepare.
    public var preparation: String
    public var minutes: Int
    public var criteria: [Criterion]

    public struct Criterion: Codable, Sendable, Equatable {
        public var text: String
        public var points: Int
        /// How points are deducted, e.g. "接线错误每处扣 2 分".
        public var deduction: String?
        /// A veto item: failing it fails the whole task.
        public var veto: Bool

        public init(text: String, points: Int, deduction: String? = nil, veto: Bool = false) {
            self.text = text
            self.points = points
            self.deduction = deduction
            self.veto = veto
        }
    }

    public init(preparation: String, minutes: Int, criteria: [Criterion]) {
        self.preparation = preparation
        self.minutes = minutes
        self.criteria = criteria
    }

    public var totalPoints: Int { criteria.reduce(0) { $0 + $1.points } }
}

/// Checks an item's content for its type, naming each problem by field.
public enum ItemValidator {
    public static func problems(type: ItemType, content c: ItemContent, difficulty: Double) -> [FieldError] {
        var v = FieldValidator()
        v.require(c.stem, field: "stem", label: "题干", maxLength: 5000)
        if !(0.05...0.99).contains(difficulty) {
            v.add(FieldError(code: "out_of_range", field: "difficulty", zh: "预估难度（通过率）应在 0.05–0.99 之间",
                             en: "difficulty (expected proportion correct) must be between 0.05 and 0.99"))
        }
        switch type {
        case .singleChoice, .multipleChoice:
            let options = (c.options ?? []).map { $0.trimmingCharacters(in: .whitespaces) }
            if options.count < 2 || options.count > 8 || options.contains(where: \.isEmpty) {
                v.add(FieldError(code: "invalid_options", field: "options", zh: "选项应为 2–8 个且不能为空",
                                 en: "2 to 8 non-empty options are required"))
            }
            let correct = Set(c.correct ?? [])
            if correct.isEmpty || correct.contains(where: { $0 < 0 || $0 >= options.count }) {
                v.add(FieldError(code: "invalid_answer", field: "correct", zh: "请选择正确答案", en: "choose the correct option(s)"))
            } else if type == .singleChoice && correct.count != 1 {
                v.add(FieldError(code: "invalid_answer", field: "correct", zh: "单选题只能有一个正确答案",
                                 en: "a single-choice item has exactly one correct option"))
            } else if type == .multipleChoice && correct.count < 2 {
                v.add(FieldError(code: "invalid_answer", field: "correct", zh: "多选题至少有两个正确答案",
                                 en: "a multiple-choice item has at least two correct options"))
            }
        case .trueFalse:
            if c.correct != [0] && c.correct != [1] {
                v.add(FieldError(code: "invalid_answer", field: "correct", zh: "请选择“正确”或“错误”", en: "choose true or false"))
            }
        case .fillIn:
            if (c.acceptedAnswers ?? []).filter({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }).isEmpty {
                v.add(FieldError(code: "invalid_answer", field: "acceptedAnswers", zh: "至少填写一个标准答案",
                                 en: "at least one accepted answer is required"))
            }
        case .practicalTask:
            guard let task = c.task else {
                v.add(FieldError(code: "required", field: "task", zh: "请填写考核任务卡", en: "the task card is required"))
                break
            }
            v.require(task.preparation, field: "task.preparation", label: "考核准备通知单", maxLength: 5000)
            if task.minutes < 1 || task.minutes > 600 {
                v.add(FieldError(code: "out_of_range", field: "task.minutes", zh: "考核时间应在 1–600 分钟之间", en: "minutes must be 1–600"))
            }
            if task.criteria.isEmpty {
                v.add(FieldError(code: "required", field: "task.criteria", zh: "评分记录表至少需要一项评分标准",
                                 en: "the score sheet needs at least one criterion"))
            }
            for (i, c) in task.criteria.enumerated() {
                if c.text.trimmingCharacters(in: .whitespaces).isEmpty {
                    v.add(.required("task.criteria[\(i)].text", label: "评分项 \(i + 1)"))
                }
                if c.points < 0 || c.points > 100 {
                    v.add(FieldError(code: "out_of_range", field: "task.criteria[\(i)].points", zh: "评分项 \(i + 1) 的分值应在 0–100 之间",
                                     en: "criterion \(i + 1) points must be 0–100"))
                }
            }
            if !task.criteria.isEmpty && task.totalPoints != 100 {
                v.add(FieldError(code: "points_not_100", field: "task.criteria", zh: "评分项合计 \(task.totalPoints) 分，应为 100 分",
                                 en: "criteria add up to \(task.totalPoints), not 100"))
            }
        }
        return v.errors
    }
}

/// Where an item stands in its review workflow.
public enum ItemStatus: String, Codable, Sendable, CaseIterable {
    case draft
    case inReview = "in-review"
    case approved
    case retired

    public var nameZH: String {
        switch self {
        case .draft: "草稿"
        case .inReview: "待审核"
        case .approved: "已通过"
        case .retired: "已停用"
        }
    }

    public var nameEN: String {
        switch self {
        case .draft: "Draft"
        case .inReview: "In review"
        case .approved: "Approved"
        case .retired: "Retired"
        }
    }
}

/// The review workflow: draft → in review → approved → retired, approval by someone other than the author.
public enum ItemWorkflow {
    public enum Action: String, Sendable, CaseIterable {
        case submit, approve, reject, retire
    }

    /// The status after `action`, or the reason it is not allowed.
    public static func apply(_ action: Action, to status: ItemStatus, actorIsAuthor: Bool) -> Result<ItemStatus, DomainError> {
        switch (action, status) {
        case (.submit, .draft): return .success(.inReview)
        case (.approve, .inReview):
            if actorIsAuthor {
                return .failure(.forbidden(code: "author_cannot_approve", zh: "命题人不能审核通过自己编写的试题",
                                           en: "the author cannot approve their own item"))
            }
            return .success(.approved)
        case (.reject, .inReview): return .success(.draft)
        case (.retire, .approved), (.retire, .draft): return .success(.retired)
        default:
            return .failure(.conflict(code: "invalid_transition", zh: "当前状态“\(status.nameZH)”不能执行此操作",
                                      en: "\(action.rawValue) is not possible from \(status.rawValue)"))
        }
    }
}
