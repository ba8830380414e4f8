import Testing
@testable import SkillCertCore

@Suite("Item analysis and examiner consistency on small fixed data sets")
struct StatisticsTests {
    /// Six candidates, four 0/1 items; item 4 is single choice A–D keyed B. Totals 4, 3, 3, 2, 1, 0.
    static let points: [[Double]] = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    static let choices = ["B", "C", "B", "D", "A", "D"]

    func analyse(extraItem: Double? = nil) -> ItemAnalysis.PaperStatistics {
        var items = (1...4).map { ItemAnalysis.Item(id: "i\($0)", maxPoints: 1) }
        items[3] = .init(id: "i4", maxPoints: 1, key: ["B"], options: ["A", "B", "C", "D"])
        if extraItem != nil { items.append(.init(id: "i5", maxPoints: 1)) }
        let responses = Self.points.enumerated().map { c, row in
            row.enumerated().map { i, p in ItemAnalysis.Response(points: p, choice: i == 3 ? [Self.choices[c]] : []) }
                + (extraItem.map { [ItemAnalysis.Response(points: $0)] } ?? [])
        }
        return ItemAnalysis.analyse(items: items, responses: responses)
    }

    func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { a.map { abs($0 - b) < tolerance } ?? false }

    @Test("difficulty, point-biserial, upper−lower 27 % discrimination and KR-20 equal the hand-computed values")
    func itemFigures() {
        let s = analyse()
        #expect(s.candidates == 6 && s.groupSize == 2)   // round(6 × 0.27) = 2: upper c1, c2 (tie with c3 by order); lower c5, c6
        #expect(close(s.meanTotal, 13.0 / 6) && close(s.sdTotal, 1.343709624716425))
        // Item 1: p = 4/6; M1 = 3 (c1–c4), M0 = 0.5, r = (M1 − M0)/σ · √(pq) = 2.5/1.3437 · 0.4714 = 0.877058.
        let expected: [(p: Double, r: Double, corrected: Double, d: Double)] = [
            (4.0 / 6, 0.877058, 0.738549, 1.0), (4.0 / 6, 0.613941, 0.316228, 0.5), (0.5, 0.620174, 0.301511, 1.0), (2.0 / 6, 0.701646, 0.441726, 0.5),
        ]
        for (item, e) in zip(s.items, expected) {
            #expect(close(item.difficulty, e.p) && close(item.pointBiserial, e.r) && close(item.correctedPointBiserial, e.corrected)
                    && close(item.discrimination, e.d), "\(item.id): \(item)")
        }
        // KR-20 = 4/3 · (1 − Σpq / σ²) = 4/3 · (1 − 0.916667 / 1.805556) = 0.656410; α equals it for 0/1 items.
        #expect(close(s.kr20, 0.656410256) && close(s.alpha, 0.656410256))
    }

    @Test("the distractor table counts each option overall and in each group, and flags a wrong option the strong choose")
    func distractors() {
        let item4 = analyse().items[3]
        #expect(item4.options.map(\.option) == ["A", "B", "C", "D"] && item4.options.map(\.keyed) == [false, true, false, false])
        #expect(item4.options.map(\.all) == [1, 2, 1, 2] && item4.options.map(\.upper) == [0, 1, 1, 0] && item4.options.map(\.lower) == [1, 0, 0, 1])
        #expect(item4.flags == [.distractorAttractsStrong])
        #expect(analyse().items[0].flags.isEmpty)
    }

    @Test("an item everyone answers correctly is flagged too easy, not discriminating and uncorrelated; partial credit gives α but no KR-20")
    func flagsAndAlpha() {
        let easy = analyse(extraItem: 1).items[4]
        #expect(easy.difficulty == 1 && easy.discrimination == 0 && easy.pointBiserial == 0)
        #expect(Set(easy.flags) == [.tooEasy, .lowDiscrimination, .lowCorrelation])
        // Five candidates, three items out of 5 points with partial credit: α = 3/2 · (1 − Σσ²ᵢ / σ²) = 0.766304.
        let rows: [[Double]] = [[2, 3, 5], [1, 2, 4], [2, 2, 2], [0, 1, 3], [1, 0, 1]]
        let s = ItemAnalysis.analyse(items: (1...3).map { .init(id: "q\($0)", maxPoints: 5) },
                                     responses: rows.map { $0.map { ItemAnalysis.Response(points: $0) } })
        #expect(close(s.alpha, 0.766304348) && s.kr20 == nil)
    }

    @Test("examiner severity is the mean deviation from the panel, spread its deviation; one strict examiner is flagged; ICC(1,1) per task")
    func examiners() {
        // Three candidates, one task, the same panel of three: A scores near the panel, B a little above, C well below.
        let scores: [(String, [String: Double])] = [("c1", ["A": 80, "B": 84, "C": 70]), ("c2", ["A": 60, "B": 66, "C": 57]), ("c3", ["A": 90, "B": 91, "C": 83])]
        let sheets = scores.flatMap { candidate, byExaminer in
            byExaminer.map { ExaminerConsistency.Sheet(examiner: $0.key, candidate: candidate, task: "t1", score: $0.value) }
        }
        let report = ExaminerConsistency.analyse(sheets + [.init(examiner: "D", candidate: "c9", task: "t1", score: 99)])  // a panel of one is left out
        #expect(report.examiners.map(\.examiner) == ["A", "B", "C"])
        let a = report.examiners[0], b = report.examiners[1], c = report.examiners[2]
        // c1's panel mean is 78: deviations A +2, B +6, C −8; c2 (61): −1, +5, −4; c3 (88): +2, +3, −5.
        #expect(close(a.severity, 1) && close(a.spread, 1.414213562) && !a.outlier)
        #expect(close(b.severity, 14.0 / 3) && close(b.spread, 1.247219129) && !b.outlier)
        #expect(close(c.severity, -17.0 / 3) && close(c.spread, 1.699673171) && c.outlier)
        // MSB = 3 · Σ(mᵢ − 75.67)² / 2, MSW = Σ within / 6, k₀ = 3: ICC = (MSB − MSW) / (MSB + 2·MSW) = 0.851693.
        #expect(report.tasks.count == 1 && report.tasks[0].candidates == 3 && close(report.tasks[0].icc, 0.851692638))
        #expect(ExaminerConsistency.icc1([[70, 70]]) == nil)
    }

    @Test("pass rates group counted outcomes by a dimension; periods bucket release days; absentees count against the rate")
    func passRates() throws {
        func o(_ occupation: String, _ level: String, _ verdict: String, _ n: Int) -> PassRates.Outcome {
            PassRates.Outcome(values: [.occupation: occupation, .level: level], verdict: verdict, count: n)
        }
        let outcomes = [o("电工", "4 四级", "passed", 30), o("电工", "4 四级", "failed", 8), o("电工", "4 四级", "incomplete", 2),
                        o("电工", "3 三级", "passed", 5), o("焊工", "4 四级", "passed", 1), o("焊工", "4 四级", "failed", 3)]
        let byOccupation = PassRates.group(outcomes, by: .occupation)
        #expect(byOccupation.map(\.key) == ["电工", "焊工"])
        #expect(byOccupation[0].total == 45 && byOccupation[0].passed == 35 && byOccupation[0].failed == 8 && byOccupation[0].incomplete == 2)
        #expect(byOccupation[0].passRate == 35.0 / 45 && byOccupation[0].passRateOfPresent == 35.0 / 43)
        #expect(byOccupation[1].passRate == 0.25)
        // Levels in their order, not by size.
        #expect(PassRates.group(outcomes, by: .level).map(\.key) == ["3 三级", "4 四级"])
        let total = PassRates.total(outcomes)
        #expect(total.total == 49 && total.passed == 36 && total.incomplete == 2)
        #expect(PassRates.total([]).passRate == nil)
        let day = try #require(LocalDate(iso: "2026-11-28"))
        #expect(PassRates.Granularity.month.label(day) == "2026-11" && PassRates.Granularity.quarter.label(day) == "2026 Q4"
                && PassRates.Granularity.year.label(day) == "2026")
        #expect(PassRates.Granularity.quarter.label(try #require(LocalDate(iso: "2027-03-31"))) == "2027 Q1")
    }
}
