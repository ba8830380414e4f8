import Foundation

/// How people write an item's answer: letters for choice items (`A`, `ACD`), 对/错 (or √/×, true/false) for true/false.
public enum ItemAnswer {
    static let trueWords: Set<String> = ["对", "正确", "TRUE", "T", "√", "是"]
    static let falseWords: Set<String> = ["错", "错误", "FALSE", "F", "×", "否"]

    /// The correct option indexes the text names, or nil when it does not parse for the type.
    public static func parse(_ text: String, type: ItemType) -> [Int]? {
        let answer = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        switch type {
        case .trueFalse:
            return trueWords.contains(answer) ? [0] : falseWords.contains(answer) ? [1] : nil
        case .singleChoice, .multipleChoice:
            let letters = answer.filter { $0 != "," && $0 != "，" && $0 != " " }
            guard !letters.isEmpty, letters.allSatisfy({ ("A"..."Z").contains(String($0)) }) else { return nil }
            return letters.compactMap { $0.asciiValue.map { Int($0) - 65 } }
        case .fillIn, .practicalTask:
            return nil
        }
    }

    /// The answer as printed on keys: `ACD`, `√`/`×`, or the accepted fill-in answers.
    public static func format(_ content: ItemContent, type: ItemType, trueFalse: (String, String) = ("√", "×")) -> String {
        switch type {
        case .trueFalse: content.correct == [0] ? trueFalse.0 : trueFalse.1
        case .fillIn: (content.acceptedAnswers ?? []).joined(separator: " / ")
        case .singleChoice, .multipleChoice: (content.correct ?? []).map(alphabeticLabel).joined()
        case .practicalTask: "按评分记录表评分"
        }
    }
}

