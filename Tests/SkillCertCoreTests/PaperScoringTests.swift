import Foundation
import Testing
@testable import SkillCertCore

@Suite("Paper-based scoring: double entry and answer-sheet marks")
struct PaperScoringTests {
    let a = UUID(), b = UUID(), c = UUID()

    @Test("double entry moves from first to second entry; equal settles, unequal waits for a third person who is neither")
    func states() throws {
        var agree = DoubleEntry()
        #expect(agree.state == .awaitingFirst && agree.finalScore == nil)
        #expect(try agree.enter(80, by: a) == .first)
        #expect(throws: DomainError.self) { try agree.enter(80, by: a) }
        #expect(try agree.enter(80, by: b) == .second)
        #expect(agree.state == .confirmed && agree.finalScore == 80)
        #expect(throws: DomainError.self) { try agree.enter(81, by: c) }

        var differ = DoubleEntry()
        try differ.enter(58, by: a)
        try differ.enter(62, by: b)
        #expect(differ.state == .mismatch && differ.finalScore == nil)
        #expect(throws: DomainError.self) { try differ.enter(62, by: b) }
        #expect(throws: DomainError.self) { try differ.enter(58, by: a) }
        #expect(try differ.enter(60, by: c) == .resolution)
        #expect(differ.state == .resolved && differ.finalScore == 60)
    }

    @Test("a typed score is 0–100 with at most one decimal place")
    func typedScores() {
        #expect(DoubleEntry.score("85") == 85 && DoubleEntry.score(" 85.5 ") == 85.5 && DoubleEntry.score("１００") == 100 && DoubleEntry.score("0") == 0)
        for bad in ["", "100.5", "-1", "85.25", "八十", "1e2", "85,5", ".5.", "nan"] { #expect(DoubleEntry.score(bad) == nil, "\(bad)") }
    }

    @Test("answer-sheet marks: letters for choices, several for multiple choice, 对/错 and A/B for true/false, blank for none")
    func marks() {
        #expect(AnswerSheetMarks.read("B", type: .singleChoice, optionCount: 4) == .response(["1"]))
        #expect(AnswerSheetMarks.read("ｄａ", type: .multipleChoice, optionCount: 4) == .response(["0", "3"]))
        #expect(AnswerSheetMarks.read("AB", type: .singleChoice, optionCount: 4) == .response(["0", "1"]))  // a double mark, graded wrong
        #expect(AnswerSheetMarks.read("E", type: .singleChoice, optionCount: 4) == .unreadable)
        #expect(AnswerSheetMarks.read("1", type: .singleChoice, optionCount: 4) == .unreadable)
        #expect(AnswerSheetMarks.read("", type: .multipleChoice, optionCount: 4) == .response([]))
        #expect(AnswerSheetMarks.read("对", type: .trueFalse, optionCount: 2) == .response(["0"]))
        #expect(AnswerSheetMarks.read("×", type: .trueFalse, optionCount: 2) == .response(["1"]))
        #expect(AnswerSheetMarks.read("B", type: .trueFalse, optionCount: 2) == .response(["1"]))
        #expect(AnswerSheetMarks.read("C", type: .trueFalse, optionCount: 2) == .unreadable)
        #expect(AnswerSheetMarks.read("36", type: .fillIn, optionCount: 0) == .unreadable)
        // What was read grades as the computer-based exam does.
        let content = ItemContent(stem: "安全用具", options: ["绝缘手套", "验电器", "钢丝钳", "绝缘靴"], correct: [0, 1, 3])
        if case .response(let r) = AnswerSheetMarks.read("DBA", type: .multipleChoice, optionCount: 4) {
            #expect(ObjectiveGrading.grade(type: .multipleChoice, content: content, response: r) == .correct)
        } else { Issue.record("DBA did not read") }
    }
}
