import SkillCertCore

/// What a printed paper shows: the body's header, the items grouped by type, and an answer sheet.
public struct PrintablePaper: Sendable {
    public struct Item: Sendable {
        public var number: Int
        public var type: ItemType
        public var points: Int
        public var content: ItemContent

        public init(number: Int, type: ItemType, points: Int, content: ItemContent) {
            self.number = number
            self.type = type
            self.points = points
            self.content = content
        }
    }

    public var bodyName: String
    public var title: String
    public var formLabel: String
    public var minutes: Int
    public var items: [Item]

    public init(bodyName: String, title: String, formLabel: String, minutes: Int, items: [Item]) {
        self.bodyName = bodyName
        self.title = title
        self.formLabel = formLabel
        self.minutes = minutes
        self.items = items
    }
}

/// Renders papers for paper-based sessions: the paper with its answer sheet, and the separate answer key.
public enum PaperPDF {
    static let sectionNumbers = ["一", "二", "三", "四", "五", "六"]

    /// The paper: header, instructions, items by type, and an answer sheet on its own page.
    public static func paper(_ p: PrintablePaper) throws -> [UInt8] {
        let pdf = PDFBuilder(footer: "\(p.title)（\(p.formLabel) 卷）")
        pdf.text(p.bodyName, size: 12, align: .center)
        pdf.text("\(p.title)（\(p.formLabel) 卷）", size: 17, bold: true, align: .center, spacingAfter: 8)
        pdf.text("注意事项", size: 11, bold: true)
        let total = p.items.reduce(0) { $0 + $1.points }
        pdf.text("1. 考试时间：\(p.minutes) 分钟，满分 \(total) 分。", size: 10)
        pdf.text("2. 请在答题卡上填写姓名、准考证号，并将答案填涂在答题卡相应位置，写在试卷上无效。", size: 10)
        pdf.text("3. 请仔细阅读各题目的回答要求；不得在试卷上作任何标记。", size: 10, spacingAfter: 10)
        pdf.rule()
        let types: [ItemType] = [.singleChoice, .multipleChoice, .trueFalse, .fillIn]
        var section = 0
        for type in types {
            let items = p.items.filter { $0.type == type }
            guard !items.isEmpty else { continue }
            let points = items.reduce(0) { $0 + $1.points }
            let instruction: String = switch type {
            case .singleChoice: "选择一个正确的答案，将相应的字母填入答题卡"
            case .multipleChoice: "选择两个或两个以上正确的答案，将相应的字母填入答题卡，多选、少选、错选均不得分"
            case .trueFalse: "正确的填“√”，错误的填“×”"
            default: "在横线处填写正确答案"
            }
            pdf.text("\(sectionNumbers[min(section, 5)])、\(type.nameZH)（\(instruction)。每题 \(items[0].points) 分，共 \(points) 分）",
                     size: 11, bold: true, spacingAfter: 6)
            section += 1
            for item in items {
                pdf.text("\(item.number). \(item.content.stem)", size: 10.5, spacingAfter: 2)
                for (i, option) in (item.content.options ?? []).enumerated() {
                    pdf.text("    \(alphabeticLabel(i)). \(option)", size: 10.5, spacingAfter: 1)
                }
                pdf.spacer(4)
            }
        }
        for item in p.items where item.type == .practicalTask {
            guard let task = item.content.task else { continue }
            pdf.text("试题 \(item.number)（\(item.points) 分）", size: 12, bold: true, spacingAfter: 4)
            pdf.text(item.content.stem, size: 10.5)
            pdf.text("考核准备通知单：\(task.preparation)", size: 10.5)
            pdf.text("考核时间：\(task.minutes) 分钟", size: 10.5, spacingAfter: 6)
            pdf.text("考核评分记录表", size: 11, bold: true)
            for (i, c) in task.criteria.enumerated() {
                pdf.text("\(i + 1). \(c.text)（\(c.points) 分）\(c.deduction.map { "　扣分：\($0)" } ?? "")\(c.veto ? "　【否决项】" : "")　得分：______", size: 10)
            }
            pdf.text("考评员签字：____________　　日期：____________", size: 10.5, spacingAfter: 12)
        }
        let objective = p.items.filter { $0.type != .practicalTask }
        if !objective.isEmpty {
            pdf.pageBreak()
            pdf.text("\(p.title)（\(p.formLabel) 卷）答题卡", size: 15, bold: true, align: .center, spacingAfter: 8)
            pdf.text("姓名：____________　　准考证号：______________________　　考场：______　座位号：______", size: 10.5, spacingAfter: 10)
            pdf.answerGrid(count: objective.count, columns: 5, boxLabel: ".")
        }
        return try pdf.finish()
    }

    /// The answer key, printed separately and kept apart from the papers.
    public static func answerKey(_ p: PrintablePaper) throws -> [UInt8] {
        let pdf = PDFBuilder(footer: "\(p.title)（\(p.formLabel) 卷）标准答案 · 密")
        pdf.text(p.bodyName, size: 12, align: .center)
        pdf.text("\(p.title)（\(p.formLabel) 卷）标准答案", size: 16, bold: true, align: .center, spacingAfter: 10)
        var line: [String] = []
        for item in p.items {
            let key = ItemAnswer.format(item.content, type: item.type)
            line.append("\(item.number). \(key)")
            if line.count == 10 {
                pdf.text(line.joined(separator: "　"), size: 10.5)
                line = []
            }
        }
        if !line.isEmpty { pdf.text(line.joined(separator: "　"), size: 10.5) }
        return try pdf.finish()
    }
}
