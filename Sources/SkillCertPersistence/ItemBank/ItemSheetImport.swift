import FluentKit
import Foundation
import SkillCertCore

/// Bulk import of objective items from a spreadsheet: the columns of the template, every row and column checked,
/// all rows imported in one transaction or none.
public enum ItemSheetImport {
    /// The template's columns, in order: key and Chinese header.
    public static let columns: [(key: String, header: String)] = [
        ("occupationCode", "职业编码"), ("edition", "标准版本"), ("level", "等级"), ("scope", "鉴定范围"), ("element", "鉴定点"),
        ("type", "题型"), ("stem", "题干"), ("A", "选项A"), ("B", "选项B"), ("C", "选项C"), ("D", "选项D"), ("E", "选项E"),
        ("F", "选项F"), ("answer", "正确答案"), ("fillAnswers", "填空答案"), ("explanation", "解析"), ("difficulty", "预估难度"),
        ("source", "来源"), ("tags", "标签"),
    ]

    /// One problem in one cell.
    public struct RowError: Sendable, Equatable {
        public var row: Int
        /// Column letter, e.g. `G`.
        public var column: String
        public var header: String
        public var messageZH: String
        public var messageEN: String

        public init(row: Int, column: String, header: String, messageZH: String, messageEN: String) {
            self.row = row
            self.column = column
            self.header = header
            self.messageZH = messageZH
            self.messageEN = messageEN
        }
    }

    static let typeNames: [String: ItemType] = [
        "单选": .singleChoice, "单选题": .singleChoice, "single-choice": .singleChoice,
        "多选": .multipleChoice, "多选题": .multipleChoice, "multiple-choice": .multipleChoice,
        "判断": .trueFalse, "判断题": .trueFalse, "true-false": .trueFalse,
        "填空": .fillIn, "填空题": .fillIn, "fill-in": .fillIn,
    ]

    /// Checks every row; returns the inputs, or every problem found with its row and column.
    public static func parse(rows: [(number: Int, cells: [Int: String])], on db: any Database) async throws
        -> (inputs: [ItemBankStore.ItemInput], errors: [RowError]) {
        guard let headerRow = rows.first else {
            return ([], [RowError(row: 1, column: "A", header: "", messageZH: "文件中没有数据", messageEN: "the file is empty")])
        }
        // Map headers to column indexes; the order in the file may differ from the template.
        var index: [String: Int] = [:]
        for (col, text) in headerRow.cells {
            if let c = columns.first(where: { $0.header == text.trimmingCharacters(in: .whitespaces) }) { index[c.key] = col }
        }
        let missing = columns.filter { index[$0.key] == nil && !["E", "F", "explanation", "source", "tags", "fillAnswers"].contains($0.key) }
        if !missing.isEmpty {
            return ([], missing.map {
                RowError(row: headerRow.number, column: "", header: $0.header, messageZH: "缺少列“\($0.header)”（请使用下载的模板）",
                         messageEN: "the column '\($0.header)' is missing (use the template)")
            })
        }
        var standards: [String: (UUID, OccupationalStandard)] = [:]
        for row in try await StandardStore.list(status: .inUse, on: db) {
            standards["\(row.occupationCode)|\(row.edition)"] = (row.id!, try row.standard())
        }
        var inputs: [ItemBankStore.ItemInput] = []
        var errors: [RowError] = []
        var seenStems: [String: Int] = [:]
        for row in rows.dropFirst() {
            func v(_ key: String) -> String {
                guard let col = index[key] else { return "" }
                return (row.cells[col] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            }
            func fail(_ key: String, _ zh: String, _ en: String) {
                let header = columns.first { $0.key == key }?.header ?? key
                errors.append(RowError(row: row.number, column: index[key].map(alphabeticLabel) ?? "", header: header,
                                       messageZH: zh, messageEN: en))
            }
            if columns.allSatisfy({ v($0.key).isEmpty }) { continue }
            var ok = true
            let key = "\(v("occupationCode"))|\(v("edition"))"
            guard let (standardID, standard) = standards[key] else {
                fail("occupationCode", "没有使用中的标准 \(v("occupationCode")) \(v("edition")) 版", "no standard in use: \(key)")
                continue
            }
            let level = Int(v("level"))
            if level == nil || standard.spec(for: Level(level ?? 0)) == nil {
                fail("level", "等级“\(v("level"))”无效或该标准不设此等级", "level '\(v("level"))' is not offered")
                ok = false
            }
            let type = typeNames[v("type")]
            if type == nil {
                fail("type", "题型“\(v("type"))”无效（单选/多选/判断/填空）", "type '\(v("type"))' must be 单选/多选/判断/填空")
                ok = false
            }
            let difficulty = Double(v("difficulty"))
            if difficulty == nil {
                fail("difficulty", "预估难度“\(v("difficulty"))”不是数字", "difficulty '\(v("difficulty"))' is not a number")
                ok = false
            }
            guard ok, let level, let type, let difficulty else { continue }
            let options = ["A", "B", "C", "D", "E", "F"].map(v).reversed().drop(while: \.isEmpty).reversed().map { $0 }
            var correct: [Int]?
            if type != .fillIn {
                guard let parsed = ItemAnswer.parse(v("answer"), type: type) else {
                    fail("answer", "正确答案“\(v("answer"))”无效（选择题填字母如 A 或 ACD，判断题填 对 或 错）",
                         "the answer '\(v("answer"))' is invalid (letters like A or ACD; 对/错 for true/false)")
                    continue
                }
                correct = parsed
            }
            let isChoice = type == .singleChoice || type == .multipleChoice
            let content = ItemContent(stem: v("stem"), options: isChoice && !options.isEmpty ? options : nil, correct: correct,
                                      acceptedAnswers: type == .fillIn ? v("fillAnswers").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } : nil,
                                      explanation: v("explanation").isEmpty ? nil : v("explanation"))
            let columnOf: [String: String] = ["stem": "stem", "options": "A", "correct": "answer", "acceptedAnswers": "fillAnswers",
                                              "difficulty": "difficulty"]
            let problems = ItemValidator.problems(type: type, content: content, difficulty: difficulty)
            for p in problems { fail(columnOf[p.field] ?? "stem", p.messageZH, p.messageEN) }
            if let table = standard.spec(for: Level(level))?.elementTables?.first(where: { $0.part == .theory }),
               table.scopes.first(where: { $0.code == v("scope") })?.elements.contains(where: { $0.code == v("element") }) != true {
                fail("element", "鉴定要素细目表中没有 \(v("scope"))-\(v("element"))", "the element table has no \(v("scope"))-\(v("element"))")
                continue
            }
            if let first = seenStems[v("stem")], !v("stem").isEmpty {
                fail("stem", "题干与第 \(first) 行重复", "the stem repeats row \(first)")
                continue
            }
            seenStems[v("stem")] = row.number
            if !problems.isEmpty { continue }
            inputs.append(.init(standardID: standardID, level: level, part: .theory, scopeCode: v("scope"),
                                elementCode: v("element"), type: type, content: content, difficulty: difficulty,
                                source: v("source"), tags: v("tags").split(whereSeparator: { $0 == "," || $0 == "，" }).map(String.init)))
        }
        if inputs.isEmpty && errors.isEmpty {
            errors.append(RowError(row: headerRow.number + 1, column: "", header: "", messageZH: "模板中没有试题行",
                                   messageEN: "the sheet has no item rows"))
        }
        return (inputs, errors)
    }
}
