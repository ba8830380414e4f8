import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Theory scores: double entry, answer sheets, the marking queue")
struct TheoryScoreStoreTests {
    let sealer = ExamFixture.sealer
    /// The objective items only (40 + 30 + 30 points): an optical reader reads choices and true/false, not written answers.
    static let objective = ComputerExam.items.prefix(3).map { item in (item.0, item.0 == .trueFalse ? 30 : item.1, item.2) }

    @Test("double entry: one person cannot enter twice; equal entries settle; a mismatch waits for a third person with a reason")
    func doubleEntry() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 3, mode: .paper)
            exam.at(minutes: 120, t)
            let (a, b, c) = (try await t.createUser("clerk-a", roles: [.examAffairs]), try await t.createUser("clerk-b", roles: [.examAffairs]),
                             try await t.createUser("clerk-c", roles: [.examAffairs]))
            func enter(_ who: SignedInUser, _ i: Int, _ score: String, reason: String? = nil) async throws -> DoubleEntry.State {
                try await TheoryScoreStore.enter(sessionID: exam.sessionID, ticketNumber: exam.logins[i].ticket, score: score, reason: reason,
                                                 actor: who.actor, on: t.db, time: t.time).1
            }
            #expect(await failureCode { _ = try await enter(a, 0, "101") } == "invalid_score:score")
            #expect(await failureCode { _ = try await enter(a, 0, "85.25") } == "invalid_score:score")
            #expect(await failureCode { _ = try await TheoryScoreStore.enter(sessionID: exam.sessionID, ticketNumber: "000", score: "80", reason: nil,
                                                                     actor: a.actor, on: t.db, time: t.time) } == "unknown_ticket:ticket")

            // Candidate 0: both agree (full-width digits are the same figure).
            #expect(try await enter(a, 0, "85.5") == .awaitingSecond)
            #expect(await failureCode { _ = try await enter(a, 0, "85.5") } == "same_person_twice")
            #expect(try await enter(b, 0, "８５.５") == .confirmed)
            #expect(await failureCode { _ = try await enter(c, 0, "90") } == "score_final")

            // Candidate 1: a mismatch; neither of the two may settle it; the third needs a reason.
            #expect(try await enter(a, 1, "72") == .awaitingSecond)
            #expect(try await enter(b, 1, "77") == .mismatch)
            #expect(await failureCode { _ = try await enter(a, 1, "72") } == "resolver_entered")
            #expect(await failureCode { _ = try await enter(b, 1, "77") } == "resolver_entered")
            #expect(await failureCode { _ = try await enter(c, 1, "77") } == "required:reason")
            #expect(try await enter(c, 1, "77", reason: "核对原卷，第二题得分漏加 5 分") == .resolved)

            let rows = try await TheoryScoreStore.rows(sessionID: exam.sessionID, on: t.db)
            let byTicket = Dictionary(uniqueKeysWithValues: rows.map { ($0.ticketNumber, $0) })
            #expect(byTicket[exam.logins[0].ticket]?.finalScore == 85.5)
            #expect(byTicket[exam.logins[1].ticket]?.finalScore == 77 && byTicket[exam.logins[1].ticket]?.resolveReason?.contains("漏加") == true)
            #expect(byTicket[exam.logins[2].ticket]?.state == .awaitingFirst)
            // Each entry is on the record, the mismatch with both figures.
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action ~~ ["paper-score.first", "paper-score.second", "paper-score.resolution"]).count() == 5)
            let mismatch = try await AuditEntry.query(on: t.db).filter(\.$action == "paper-score.second").all().map(\.details)
            #expect(mismatch.contains { $0.contains("72.0 ≠ 77.0") })
            // The results see settled scores only.
            let scores = try await TheoryScoreStore.scores(sessionID: exam.sessionID, on: t.db)
            #expect(Set(scores.filter(\.settled).compactMap(\.score)) == [85.5, 77])

            // An absent candidate gets no score.
            _ = try await SessionStore.closeAttendance(sessionID: exam.sessionID, actor: a.actor, on: t.db, time: t.time)
            #expect(await failureCode { _ = try await enter(a, 2, "60") } == "candidate_absent")
        }
    }

    @Test("answer sheets are graded against the session's paper; a bad mark or a stranger's ticket names row and column and imports nothing")
    func answerSheets() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 3, mode: .paper, items: Self.objective)
            exam.at(minutes: 120, t)
            let clerk = try await t.createUser("clerk-a", roles: [.examAffairs])
            // The paper's own order: what the sheet's item numbers refer to.
            let paper = try await PaperStore.open(paperID: exam.paperID, reader: .system("test"), sealer: sealer, on: t.db, time: t.time)
            func marks(correct: Bool) -> [String] {
                paper.entries.map { entry in
                    let key = entry.content.correct ?? []
                    switch entry.type {
                    case .trueFalse: return correct ? (key == [0] ? "对" : "错") : (key == [0] ? "B" : "A")
                    default: return correct ? key.map(alphabeticLabel).joined() : "D"
                    }
                }
            }
            func cells(_ values: [String]) -> [Int: String] { Dictionary(uniqueKeysWithValues: values.enumerated().map { ($0, $1) }) }
            let header = (2, cells(["考生姓名", "准考证号"] + paper.entries.indices.map { "第\($0 + 1)题" }))
            let good: [(number: Int, cells: [Int: String])] = [
                header,
                (3, cells(["张", exam.logins[0].ticket] + marks(correct: true))),
                (4, cells(["李", exam.logins[1].ticket] + marks(correct: false))),
            ]
            // A mark that is no option, and a ticket of nobody in this session: both named; nothing is written.
            var bad = good
            var wrongMark = marks(correct: true)
            wrongMark[0] = "Z"
            bad.append((5, cells(["王", exam.logins[2].ticket] + wrongMark)))
            bad.append((6, cells(["赵", "999999"] + marks(correct: true))))
            let refused = try await TheoryScoreStore.importSheets(sessionID: exam.sessionID, rows: bad, actor: clerk.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(refused.candidates == 0)
            #expect(refused.errors.map { "\($0.row)\($0.column)" } == ["5C", "6B"])
            #expect(try await PaperScore.query(on: t.db).count() == 0)

            let imported = try await TheoryScoreStore.importSheets(sessionID: exam.sessionID, rows: good, actor: clerk.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(imported.candidates == 2 && imported.errors.isEmpty)
            let rows = Dictionary(uniqueKeysWithValues: try await TheoryScoreStore.rows(sessionID: exam.sessionID, on: t.db).map { ($0.ticketNumber, $0) })
            #expect(rows[exam.logins[0].ticket]?.finalScore == 100 && rows[exam.logins[0].ticket]?.source == .omr)
            #expect(rows[exam.logins[1].ticket]?.finalScore == 0)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "paper-score.omr").count() == 2)
            // A read sheet is not keyed in by hand as well.
            #expect(await failureCode { try await TheoryScoreStore.enter(sessionID: exam.sessionID, ticketNumber: exam.logins[0].ticket, score: "90", reason: nil,
                                                                 actor: clerk.actor, on: t.db, time: t.time) } == "read_by_machine")
        }
    }

    @Test("an optical reader cannot grade a paper with fill-in items, and says which item")
    func sheetsNeedObjectivePapers() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 1, mode: .paper)
            exam.at(minutes: 120, t)
            let clerk = try await t.createUser("clerk-a", roles: [.examAffairs])
            let rows: [(number: Int, cells: [Int: String])] = [(1, [0: "准考证号", 1: "1", 2: "2", 3: "3", 4: "4"]), (2, [0: exam.logins[0].ticket, 1: "A"])]
            let result = try await TheoryScoreStore.importSheets(sessionID: exam.sessionID, rows: rows, actor: clerk.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(result.errors.count == 1 && result.errors[0].row == 2 && result.errors[0].messageZH.contains("填空题"))
        }
    }

    @Test("a marker's points for a fill-in answer count at once; the same answer cannot be marked twice; the results wait for the marker")
    func marking() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 1)
            exam.at(minutes: 1, t)
            let login = try await AttemptStore.login(ticketNumber: exam.logins[0].ticket, idNumber: exam.logins[0].idNumber, sessionPassword: nil,
                                                     sealer: sealer, on: t.db, time: t.time)
            func attempt() async throws -> ExamAttempt {
                guard let found = try await AttemptStore.authenticate(token: login.token, on: t.db) else { throw DomainError.notFound(what: "attempt") }
                return found
            }
            _ = try await AttemptStore.view(try await attempt(), sealer: sealer, on: t.db, time: t.time)
            _ = try await AttemptStore.save(try await attempt(), itemID: exam.content.entries[1].itemID, response: ["0", "1", "3"], seq: 1, sealer: sealer, on: t.db, time: t.time)
            _ = try await AttemptStore.save(try await attempt(), itemID: exam.content.entries[3].itemID, response: ["36 伏"], seq: 2, sealer: sealer, on: t.db, time: t.time)
            let marker = try await t.createUser("marker", roles: [.examiner])
            // Before submission nothing is in the queue; after it, nothing either while the session is still running.
            #expect(try await TheoryScoreStore.markingQueue(sessionID: nil, reader: marker.actor, sealer: sealer, on: t.db, time: t.time).isEmpty)
            _ = try await AttemptStore.submit(try await attempt(), endedBy: .candidate, reason: nil, actor: .system("candidate"), sealer: sealer, on: t.db, time: t.time)
            #expect(try await TheoryScoreStore.scores(sessionID: exam.sessionID, on: t.db).first?.settled == false)
            #expect(try await TheoryScoreStore.markingQueue(sessionID: nil, reader: marker.actor, sealer: sealer, on: t.db, time: t.time).isEmpty)

            exam.at(minutes: 95, t)
            let queue = try await TheoryScoreStore.markingQueue(sessionID: exam.sessionID, reader: marker.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(queue.count == 1 && queue[0].response == "36 伏" && queue[0].acceptedAnswers == ["36", "三十六"] && queue[0].points == 10)
            // The marker's reading of the paper is on the record; the item's author may not read it at all.
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "paper.read").filter(\.$actorName == "marker").count() == 1)
            let author = try #require(try await User.query(on: t.db).filter(\.$username == "author").first())
            #expect(await failureCode { _ = try await TheoryScoreStore.markingQueue(sessionID: nil, reader: AuditActor(id: author.id, name: "author"), sealer: sealer, on: t.db, time: t.time) }
                == "author_excluded")
            #expect(await failureCode { _ = try await TheoryScoreStore.mark(answerID: queue[0].answerID, points: "11", actor: marker.actor, sealer: sealer, on: t.db, time: t.time) }
                == "invalid_points:points")
            let marked = try await TheoryScoreStore.mark(answerID: queue[0].answerID, points: "10", actor: marker.actor, sealer: sealer, on: t.db, time: t.time)
            #expect(marked.score == 40 && marked.pendingReview == 0)
            #expect(await failureCode { _ = try await TheoryScoreStore.mark(answerID: queue[0].answerID, points: "0", actor: marker.actor, sealer: sealer, on: t.db, time: t.time) }
                == "not_found:answer")
            #expect(try await TheoryScoreStore.markingQueue(sessionID: nil, reader: marker.actor, sealer: sealer, on: t.db, time: t.time).isEmpty)
            #expect(try await TheoryScoreStore.scores(sessionID: exam.sessionID, on: t.db) == [
                .init(candidateID: exam.fixture.candidates[0], score: 40, settled: true, source: "computer")])
            let record = try #require(try await AuditEntry.query(on: t.db).filter(\.$action == "exam.mark").first())
            #expect(record.details.contains("10.0/10") && record.details.contains("30.0 → 40.0"))
        }
    }
}
