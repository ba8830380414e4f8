import Testing
@testable import SkillCertCore

@Suite("Panel scoring: score sheets, aggregation, arbitration, pass rules, result windows")
struct PanelScoringTests {
    let card = TaskCard(preparation: "", minutes: 60, criteria: [
        .init(text: "元件布置", points: 20), .init(text: "接线工艺", points: 40), .init(text: "通电试车", points: 30),
        .init(text: "安全文明生产", points: 10, veto: true),
    ])

    @Test("a criterion takes points awarded or a deduction, in half points, within the criterion's points")
    func criterionEntries() {
        let c = card.criteria[1]  // 40 points
        #expect(ScoreSheet.points("35", of: c) == 35)
        #expect(ScoreSheet.points("37.5", of: c) == 37.5)
        #expect(ScoreSheet.points("-5", of: c) == 35)
        #expect(ScoreSheet.points("扣5", of: c) == 35)
        #expect(ScoreSheet.points("３５分", of: c) == 35)
        #expect(ScoreSheet.points("41", of: c) == nil)
        #expect(ScoreSheet.points("-41", of: c) == nil)
        #expect(ScoreSheet.points("35.3", of: c) == nil)
        #expect(ScoreSheet.points("abc", of: c) == nil)
    }

    @Test("a sheet names each missing or bad criterion by field; its score is the share of the card's points; a veto scores 0")
    func sheets() throws {
        guard case .failure(let f) = ScoreSheet.marks(entries: ["20", "", "50"], vetoed: [0], comment: "", card: card) else {
            Issue.record("bad sheet accepted"); return
        }
        #expect(f.errors.map(\.field) == ["c2", "c3", "c4", "veto"])
        let marks = try ScoreSheet.marks(entries: ["18", "-4", "30", "10"], vetoed: [], comment: "规范", card: card).get()
        #expect(marks.points == [18, 36, 30, 10])
        #expect(ScoreSheet.score(marks, card: card) == 94)
        let vetoed = try ScoreSheet.marks(entries: ["18", "36", "30", "0"], vetoed: [3], comment: "未断电操作", card: card).get()
        #expect(ScoreSheet.score(vetoed, card: card) == 0)
    }

    @Test("the panel's mean settles a task; a spread above the threshold, not at it, goes to arbitration")
    func spreadThreshold() {
        let settled = PanelScoring.outcome(scores: [80, 85, 90], vetoes: 0, panelSize: 3, method: .mean, threshold: 10)
        #expect(settled.state == .settled && settled.score == 85 && settled.spread == 10)
        let split = PanelScoring.outcome(scores: [80, 85, 90.5], vetoes: 0, panelSize: 3, method: .mean, threshold: 10)
        #expect(split.state == .arbitration && split.score == nil && split.spread == 10.5)
        #expect(split.reasonZH?.contains("10.5") == true)
        let waiting = PanelScoring.outcome(scores: [80, 95], vetoes: 0, panelSize: 3, method: .mean, threshold: 10)
        #expect(waiting.state == .awaitingSheets && waiting.score == nil)
        #expect(PanelScoring.outcome(scores: [80, 84, 83], vetoes: 0, panelSize: 3, method: .mean, threshold: 10).score == 82.3)
    }

    @Test("the trimmed mean drops the highest and lowest only with five sheets or more")
    func trimmedMean() {
        #expect(PanelScoring.aggregate([70, 80, 82, 84, 99], method: .trimmedMean) == 82)
        #expect(PanelScoring.aggregate([70, 80, 82, 84, 99], method: .mean) == 83)
        #expect(PanelScoring.aggregate([70, 80, 90], method: .trimmedMean) == 80)
        #expect(PanelScoring.aggregate([70, 80, 86, 90], method: .trimmedMean) == 81.5)
    }

    @Test("a veto failed by a majority fails the task; by a minority, the chief examiner decides")
    func vetoes() {
        let failed = PanelScoring.outcome(scores: [0, 0, 88], vetoes: 2, panelSize: 3, method: .mean, threshold: 10)
        #expect(failed.state == .settled && failed.score == 0 && failed.vetoFailed)
        let minority = PanelScoring.outcome(scores: [0, 86, 88], vetoes: 1, panelSize: 3, method: .mean, threshold: 100)
        #expect(minority.state == .arbitration && minority.reasonZH?.contains("否决") == true)
    }

    @Test("task scores combine by the paper's points into the part score")
    func partScore() {
        #expect(PanelScoring.partScore([(60, 80), (40, 50)]) == 68)
        #expect(PanelScoring.partScore([(100, 59.9)]) == 59.9)
        #expect(PanelScoring.partScore([]) == 0)
    }

    @Test("every required part at least its pass mark: each part failing in turn fails the result")
    func passRule() {
        let kinds: [AssessmentPartKind] = [.theory, .skills, .comprehensiveReview]
        func parts(_ scores: [Double?]) -> [ResultRule.Part] {
            zip(kinds, scores).map { ResultRule.Part(kind: $0, score: $1, passMark: 60) }
        }
        #expect(ResultRule.verdict(parts([60, 75, 88])) == .passed)
        #expect(ResultRule.verdict(parts([59.9, 75, 88])) == .failed([.theory]))
        #expect(ResultRule.verdict(parts([60, 59.5, 88])) == .failed([.skills]))
        #expect(ResultRule.verdict(parts([60, 75, 12])) == .failed([.comprehensiveReview]))
        #expect(ResultRule.verdict(parts([60, nil, 88])) == .incomplete([.skills]))
        // Nothing is decided while a required part is missing; a part that is not required never fails the result.
        #expect(ResultRule.verdict(parts([40, nil, 88])) == .incomplete([.skills]))
        #expect(ResultRule.verdict([.init(kind: .theory, score: 70, passMark: 60), .init(kind: .skills, score: 30, passMark: 60, required: false)]) == .passed)
        #expect(ResultRule.grade(91, passMark: 60) == "优秀" && ResultRule.grade(60, passMark: 60) == "合格" && ResultRule.grade(59, passMark: 60) == "不合格")
    }

    /// The 2026 National Day arrangement: 10-01…10-07 off, Saturday 10-10 worked.
    let calendar = WorkingCalendar(exceptions:
        (1...7).map { CalendarException(date: LocalDate(year: 2026, month: 10, day: $0)!, kind: .holiday, name: "国庆节") }
        + [CalendarException(date: LocalDate(year: 2026, month: 10, day: 10)!, kind: .workday, name: "调休上班")])

    @Test("the review window counts working days across the holiday and the make-up Saturday")
    func reviewWindow() {
        // Released Tuesday 09-29: 09-30, 10-08, 10-09, 10-10 (make-up), 10-12 … 10-16, 10-19 is the tenth.
        #expect(ResultWindows.reviewRequestDeadline(released: LocalDate(iso: "2026-09-29")!, workingDays: 10, calendar: calendar) == LocalDate(iso: "2026-10-19")!)
        #expect(ResultWindows.reviewAnswerDeadline(requested: LocalDate(iso: "2026-09-30")!, workingDays: 1, calendar: calendar) == LocalDate(iso: "2026-10-08")!)
    }

    @Test("publicity lasts the working days from the publication day, or from the next working day after a holiday")
    func publicity() {
        #expect(ResultWindows.publicityLastDay(start: LocalDate(iso: "2026-09-30")!, workingDays: 5, calendar: calendar) == LocalDate(iso: "2026-10-12")!)
        #expect(ResultWindows.publicityLastDay(start: LocalDate(iso: "2026-10-01")!, workingDays: 5, calendar: calendar) == LocalDate(iso: "2026-10-13")!)
    }
}
