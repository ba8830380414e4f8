import Foundation
import SkillCertCore
import Testing

@Suite("Theory exam attempts: clock, saves, order, grading")
struct ExamAttemptTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("the clock counts down to the session's end, freezes while paused, and moves the end by pauses and extensions")
    func clock() {
        var clock = AttemptClock(scheduledEnd: start.addingTimeInterval(90 * 60))
        #expect(clock.remainingSeconds(at: start) == 5400)
        #expect(clock.remainingSeconds(at: start.addingTimeInterval(600.7)) == 4799)
        // Paused at 10 minutes for 5 minutes: the remaining time stays put, then the end is 5 minutes later.
        clock.pause(at: start.addingTimeInterval(600))
        #expect(clock.remainingSeconds(at: start.addingTimeInterval(900)) == 4800)
        #expect(!clock.isExpired(at: start.addingTimeInterval(100 * 60)))
        clock.resume(at: start.addingTimeInterval(900))
        #expect(clock.remainingSeconds(at: start.addingTimeInterval(900)) == 4800)
        clock.extend(bySeconds: 600)
        #expect(clock.end(at: start.addingTimeInterval(900)) == start.addingTimeInterval(90 * 60 + 300 + 600))
        #expect(!clock.isExpired(at: start.addingTimeInterval(90 * 60 + 899)))
        #expect(clock.isExpired(at: start.addingTimeInterval(90 * 60 + 900)))
        #expect(clock.remainingSeconds(at: start.addingTimeInterval(200 * 60)) == 0)
        // Pausing twice or resuming while running changes nothing.
        var twice = clock
        twice.pause(at: start.addingTimeInterval(1000))
        twice.pause(at: start.addingTimeInterval(2000))
        twice.resume(at: start.addingTimeInterval(1060))
        twice.resume(at: start.addingTimeInterval(5000))
        #expect(twice.end(at: start) == clock.end(at: start).addingTimeInterval(60))
    }

    @Test("a replayed save is a duplicate, an older one is stale, and nothing is written after the end", arguments: [
        (5, nil, AttemptStatus.inProgress, false, AnswerSave.stored),
        (6, 5, .inProgress, false, .stored),
        (5, 5, .inProgress, false, .duplicate),
        (4, 5, .inProgress, false, .stale),
        (9, 5, .submitted, false, .closed),
        (9, 5, .terminated, false, .closed),
        (9, nil, .inProgress, true, .closed),
    ] as [(Int, Int?, AttemptStatus, Bool, AnswerSave)])
    func saves(incoming: Int, stored: Int?, status: AttemptStatus, expired: Bool, expected: AnswerSave) {
        #expect(AnswerSave.decide(incoming: incoming, stored: stored, status: status, expired: expired) == expected)
    }

    @Test("each attempt sees its own shuffled order, the same one every time it is computed")
    func order() {
        let counts = [4, 4, 2, 0, 5, 4, 4, 4, 4, 4]
        let shuffle = counts.indices.map { $0 != 2 }
        let a = AttemptOrder(seed: AttemptOrder.seed(UUID()), optionCounts: counts, shuffleOptions: shuffle)
        let again = AttemptOrder(seed: AttemptOrder.seed(UUID(uuidString: "0190F3B2-0000-7000-8000-000000000001")!), optionCounts: counts, shuffleOptions: shuffle)
        let same = AttemptOrder(seed: AttemptOrder.seed(UUID(uuidString: "0190F3B2-0000-7000-8000-000000000001")!), optionCounts: counts, shuffleOptions: shuffle)
        #expect(again == same)
        #expect(a.items.sorted() == Array(0..<10))
        for (i, count) in counts.enumerated() where count > 0 { #expect(a.options[i]?.sorted() == Array(0..<count)) }
        #expect(a.options[3] == nil && a.options[2] == [0, 1])  // true/false keeps 对 before 错
        // Over a few attempts the order differs (ten items: the chance of equal orders is 1 in 3.6 million).
        let orders = Set((0..<5).map { _ in AttemptOrder(seed: AttemptOrder.seed(UUID()), optionCounts: counts, shuffleOptions: shuffle).items })
        #expect(orders.count > 1)
    }

    @Test("each item type is graded to the key; a fill-in answer outside the accepted list goes to a person")
    func grading() {
        let single = ItemContent(stem: "?", options: ["a", "b", "c", "d"], correct: [2])
        #expect(ObjectiveGrading.grade(type: .singleChoice, content: single, response: ["2"]) == .correct)
        #expect(ObjectiveGrading.grade(type: .singleChoice, content: single, response: ["1"]) == .wrong)
        #expect(ObjectiveGrading.grade(type: .singleChoice, content: single, response: []) == .unanswered)
        #expect(ObjectiveGrading.grade(type: .singleChoice, content: single, response: ["C"]) == .wrong)
        let multiple = ItemContent(stem: "?", options: ["a", "b", "c", "d"], correct: [0, 2, 3])
        #expect(ObjectiveGrading.grade(type: .multipleChoice, content: multiple, response: ["3", "0", "2"]) == .correct)
        #expect(ObjectiveGrading.grade(type: .multipleChoice, content: multiple, response: ["0", "2"]) == .wrong)  // 少选
        #expect(ObjectiveGrading.grade(type: .multipleChoice, content: multiple, response: ["0", "1", "2", "3"]) == .wrong)  // 多选
        let judge = ItemContent(stem: "?", correct: [1])
        #expect(ObjectiveGrading.grade(type: .trueFalse, content: judge, response: ["1"]) == .correct)
        #expect(ObjectiveGrading.grade(type: .trueFalse, content: judge, response: ["0"]) == .wrong)
        let fill = ItemContent(stem: "?", acceptedAnswers: ["380V", "三百八十伏"])
        #expect(ObjectiveGrading.grade(type: .fillIn, content: fill, response: [" ３８０ｖ "]) == .correct)
        #expect(ObjectiveGrading.grade(type: .fillIn, content: fill, response: ["三百八十伏"]) == .correct)
        #expect(ObjectiveGrading.grade(type: .fillIn, content: fill, response: ["380 伏"]) == .needsReview)
        #expect(ObjectiveGrading.grade(type: .fillIn, content: fill, response: ["  "]) == .unanswered)
        #expect(ObjectiveGrading.score(awarded: 73, total: 100) == 73)
        #expect(ObjectiveGrading.score(awarded: 2, total: 3) == 66.7)
    }
}
