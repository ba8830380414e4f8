import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence

/// A published 电工 plan with approved candidates, examiners and a supervisor in the registry, and rooms.
public struct ExamFixture {
    public let planID: UUID
    public let staff: SignedInUser
    public let examiners: [SignedInUser]
    public let supervisor: SignedInUser
    public let rooms: [ExamRoom]
    public let candidates: [UUID]

    public static let sealer = ContentSealer(base64: TestApp.contentKey)!

    /// A published 电工 plan offering 四级 and 三级, open today (2026-11-27), taking 100 candidates.
    /// `staffSuffix` names the drafting and approving accounts apart when a test publishes several plans.
    public static func publishedPlan(_ t: TestApp, staffSuffix: String = "", levels: [Int] = [4, 3]) async throws -> UUID {
        let coord = try await t.createUser("coord" + staffSuffix, roles: [.coordination])
        let leader = try await t.createUser("leader" + staffSuffix, roles: [.leadership])
        let standard = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
        let p = CertificationPlan(title: "2026 年第四批电工认定", standardID: try standard.requireID().uuidString, occupationName: "电工",
                                  levels: levels, workType: nil, registrationOpens: LocalDate(iso: "2026-11-20")!,
                                  registrationCloses: LocalDate(iso: "2026-12-20")!,
                                  examDates: [.init(part: .theory, date: LocalDate(iso: "2027-01-10")!)], venues: ["南京"],
                                  feeYuan: 150, capacity: 100, materials: [], notes: "")
        let row = try await PlanStore.create(p, actor: coord.actor, on: t.db, time: t.time)
        let id = try row.requireID()
        try await PlanStore.act(.submit, id: id, reason: nil, actor: coord.actor, on: t.db, time: t.time)
        try await PlanStore.act(.approve, id: id, reason: nil, actor: leader.actor, on: t.db, time: t.time)
        try await PlanStore.act(.publish, id: id, reason: nil, actor: coord.actor, on: t.db, time: t.time)
        return id
    }

    /// `employers` gives one approved 四级 candidate per entry.
    /// `level` is the candidates' level; the plan offers 四级 and it.
    public static func make(_ t: TestApp, employers: [String], roomSeats: [Int] = [30, 30], level: Int = 4) async throws -> ExamFixture {
        let planID = try await publishedPlan(t, levels: level == 4 ? [4, 3] : [4, level])
        let staff = try await t.createUser("exams", roles: [.examAffairs])
        try await BodyStore.save(DemoData.body, reason: "测试", on: t.db, actor: .system("test"), time: t.time)
        var examiners: [SignedInUser] = []
        for i in 1...6 {
            let u = try await t.createUser("examiner\(i)", roles: [.examiner])
            let m = try await RegistryStore.appoint(.init(username: u.username, kind: .examiner, fullName: "考评员\(i)", employer: "考评单位\(i)",
                                                          appointedOn: "2026-01-01"), actor: staff.actor, on: t.db, time: t.time)
            try await RegistryStore.addQualification(memberID: m.requireID(), occupationCode: "6-31-01-03", maxLevel: 2, certificateNumber: "KP-\(i)",
                                                     validFrom: "2026-01-01", validTo: "2028-12-31", actor: staff.actor, on: t.db, time: t.time)
            examiners.append(u)
        }
        let supervisor = try await t.createUser("supervisor", roles: [.supervisor])
        try await RegistryStore.appoint(.init(username: "supervisor", kind: .externalSupervisor, fullName: "督导员", employer: "人社局",
                                              appointedOn: "2026-01-01"), actor: staff.actor, on: t.db, time: t.time)
        var rooms: [ExamRoom] = []
        for (i, seats) in roomSeats.enumerated() {
            rooms.append(try await RoomStore.create(siteCode: "320102", name: "第\(i + 1)考场", rows: 10, columns: 10, capacity: seats,
                                                    actor: staff.actor, on: t.db, time: t.time))
        }
        var candidates: [UUID] = []
        for (i, employer) in employers.enumerated() {
            candidates.append(try await approvedCandidate(t, planID: planID, index: i, employer: employer, level: level))
        }
        return ExamFixture(planID: planID, staff: staff, examiners: examiners, supervisor: supervisor, rooms: rooms, candidates: candidates)
    }

    /// A candidate with a profile and an approved application (四级 unless `level` says otherwise), written directly.
    public static func approvedCandidate(_ t: TestApp, planID: UUID, index i: Int, employer: String, level: Int = 4) async throws -> UUID {
        let user = try await t.createUser("cand\(i)", roles: [.candidate])
        let number = ResidentID.completing("32010219900101" + String(format: "%03d", i))!
        let p = CandidateProfile()
        p.userID = user.id
        p.fullName = "考生\(i)"
        p.idType = "resident-id"
        p.idNumberCipher = try sealer.seal(Data(number.utf8), context: "candidate-id:\(user.id.uuidString)")
        p.idNumberHash = sealer.keyedHash(number, purpose: "id-number")
        p.idNumberMasked = ResidentID.mask(number)
        p.employer = employer
        p.updatedAt = t.time.now()
        try await p.create(on: t.db)
        let a = StoredApplication()
        a.planID = planID
        a.candidateID = user.id
        a.level = level
        a.status = StoredApplication.Status.approved.rawValue
        a.profile = "{}"
        a.engineEligible = true
        a.engineExplanation = ""
        a.overridden = false
        a.employer = employer
        a.paymentStatus = "paid"
        a.createdAt = t.time.now()
        a.updatedAt = t.time.now()
        try await a.create(on: t.db)
        return user.id
    }

    /// Writes `items` (approved by two item & examiner staff), draws one paper of `part` from them and attaches it
    /// to the session. The returned content lists the items in `items` order (the paper has its own).
    public func attachPaper(_ t: TestApp, sessionID: UUID, part: AssessmentPartKind, items: [(ItemType, Int, ItemContent)]) async throws
        -> (UUID, PaperStore.PaperContent) {
        let standardID = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db).requireID()
        let author = try await t.createUser("author", roles: [.itemExaminer])
        let reviewer = try await t.createUser("reviewer", roles: [.itemExaminer])
        // Items of one type each get a scope of their own, so each blueprint cell (scope, type) draws exactly its item.
        func scope(_ i: Int) -> String { items[..<i].contains { $0.0 == items[i].0 } ? String(UnicodeScalar(UInt8(66 + i))) : "B" }
        var entries: [PaperStore.PaperContent.Entry] = []
        for (i, item) in items.enumerated() {
            let stored = try await ItemBankStore.create(.init(standardID: standardID, level: 4, part: part, scopeCode: scope(i), elementCode: "001",
                                                              type: item.0, content: item.2, difficulty: 0.7, source: "示例", tags: ["测试"]),
                                                        author: author.actor, sealer: ExamFixture.sealer, on: t.db, time: t.time)
            try await ItemBankStore.act(.submit, itemID: stored.requireID(), reason: nil, actor: author.actor, on: t.db, time: t.time)
            try await ItemBankStore.act(.approve, itemID: stored.requireID(), reason: nil, actor: reviewer.actor, on: t.db, time: t.time)
            entries.append(.init(position: i + 1, itemID: try stored.requireID(), versionID: UUID(), version: 1, scope: scope(i), element: "001",
                                 type: item.0, points: item.1, content: item.2))
        }
        try await PaperStore.saveBlueprint(Blueprint(cells: items.indices.map { .init(scope: scope($0), type: items[$0].0, count: 1, pointsEach: items[$0].1) },
                                                     difficultyTarget: 0.7, difficultyTolerance: 0.1, corePointsShare: 0, maxOverlap: 1, exposureLimit: 5),
                                           standardID: standardID, level: 4, part: part, note: "测试", actor: staff.actor, on: t.db, time: t.time)
        let papers = try await PaperStore.assemble(standardID: standardID, level: 4, part: part, forms: 1, seed: 1, releaseAt: nil,
                                                   actor: staff.actor, sealer: ExamFixture.sealer, on: t.db, time: t.time)
        let paperID = try papers[0].requireID()
        try await AttemptStore.attachPaper(paperID, to: sessionID, actor: staff.actor, on: t.db, time: t.time)
        return (paperID, PaperStore.PaperContent(label: "A", occupation: "电工", level: 4, part: part, entries: entries))
    }

    /// Moves the test clock to `minutes` after the fixture sessions' start, 2027-01-10 09:00 (negative: before it).
    public static func at(minutes: Double, _ t: TestApp) {
        let target = TimeSlot(date: LocalDate(iso: "2027-01-10")!, startMinute: 9 * 60, minutes: 0).start.addingTimeInterval(minutes * 60)
        t.time.advance(by: target.timeIntervalSince(t.time.now()))
    }

    public func session(_ t: TestApp, mode: ExamSession.Mode = .paper, start: String = "09:00", rooms: [ExamRoom]? = nil, level: Int = 4) async throws -> ExamSession {
        try await SessionStore.create(.init(planID: planID, level: level, mode: mode, date: "2027-01-10", start: start, minutes: nil, siteCode: "320102",
                                            roomIDs: (rooms ?? self.rooms).map { $0.id! }), actor: staff.actor, on: t.db, time: t.time)
    }
}

/// A computer-based theory session (2027-01-10 09:00, 90 minutes) with every fixture candidate seated and one
/// sealed paper of four items — single choice 40, multiple choice 30, true/false 20, fill-in 10 points — attached.
public struct ComputerExam {
    public var fixture: ExamFixture
    public var sessionID: UUID
    public var paperID: UUID
    public var content: PaperStore.PaperContent
    /// Ticket and resident ID number of each candidate, in fixture order.
    public var logins: [(ticket: String, idNumber: String)]

    /// The items of the paper, in this order in `content` (the paper itself has its own order).
    public static let items: [(ItemType, Int, ItemContent)] = [
        (.singleChoice, 40, ItemContent(stem: "我国低压配电系统的线电压一般为多少？", options: ["220V", "380V", "10kV", "36V"], correct: [1])),
        (.multipleChoice, 30, ItemContent(stem: "下列属于安全用具的有哪些？", options: ["绝缘手套", "验电器", "钢丝钳", "绝缘靴"], correct: [0, 1, 3])),
        (.trueFalse, 20, ItemContent(stem: "可以带电更换熔断器熔体。", correct: [1])),
        (.fillIn, 10, ItemContent(stem: "安全电压的最高值为____V。", acceptedAnswers: ["36", "三十六"])),
    ]

    /// A session of `mode` (computer-based, or paper-based for score entry and answer sheets) with its paper attached.
    public static func make(_ t: TestApp, candidates: Int = 2, password: String? = nil, mode: ExamSession.Mode = .computer,
                            items: [(ItemType, Int, ItemContent)] = items) async throws -> ComputerExam {
        let fixture = try await ExamFixture.make(t, employers: (0..<candidates).map { "单位\($0)" })
        let session = try await fixture.session(t, mode: mode)
        let sessionID = try session.requireID()
        if let password {
            session.sessionPassword = password
            try await session.save(on: t.db)
        }
        try await SessionStore.allocateSeats(sessionID: sessionID, seed: 7, actor: fixture.staff.actor, on: t.db, time: t.time)
        let (paperID, content) = try await fixture.attachPaper(t, sessionID: sessionID, part: .theory, items: items)
        var logins: [(String, String)] = []
        for (i, candidate) in fixture.candidates.enumerated() {
            guard let ticket = try await AdmissionTicketRecord.query(on: t.db).filter(\.$candidateID == candidate).first() else {
                throw DomainError.notFound(what: "ticket")
            }
            logins.append((ticket.number, ResidentID.completing("32010219900101" + String(format: "%03d", i))!))
        }
        return ComputerExam(fixture: fixture, sessionID: sessionID, paperID: paperID, content: content, logins: logins)
    }

    /// Moves the test clock to `minutes` after the session's start (negative: before it).
    public func at(minutes: Double, _ t: TestApp) { ExamFixture.at(minutes: minutes, t) }

    /// Every candidate signs in, answers (`answers[c][i]`: candidate c's response to `ComputerExam.items[i]`, nil for
    /// none) and submits; the clock ends half a minute after the start.
    public func sit(_ t: TestApp, answers: [[[String]?]]) async throws {
        at(minutes: -20, t)
        var tokens: [String] = []
        for login in logins.prefix(answers.count) {
            tokens.append(try await AttemptStore.login(ticketNumber: login.ticket, idNumber: login.idNumber, sessionPassword: nil,
                                                       sealer: ExamFixture.sealer, on: t.db, time: t.time).token)
        }
        at(minutes: 0.5, t)
        for (token, responses) in zip(tokens, answers) {
            guard let signedIn = try await AttemptStore.authenticate(token: token, on: t.db) else { throw DomainError.notFound(what: "attempt") }
            // Loading the paper starts the attempt.
            _ = try await AttemptStore.view(signedIn, sealer: ExamFixture.sealer, on: t.db, time: t.time)
            guard let attempt = try await AttemptStore.authenticate(token: token, on: t.db) else { throw DomainError.notFound(what: "attempt") }
            for (i, response) in responses.enumerated() {
                guard let response else { continue }
                _ = try await AttemptStore.save(attempt, itemID: content.entries[i].itemID, response: response, seq: i + 1,
                                                sealer: ExamFixture.sealer, on: t.db, time: t.time)
            }
            _ = try await AttemptStore.submit(attempt, endedBy: .candidate, reason: nil, actor: .system("candidate"), sealer: ExamFixture.sealer,
                                              on: t.db, time: t.time)
        }
    }
}

extension TestApp {
    /// Publishes a 电工 plan through the pages, as coordination drafts it and leadership approves it (users `coord`,
    /// `leader` and `exams` are created); registration is open on 2026-11-27.
    public func publishPlanThroughPages(level: Int, fee: Int, materials: String = "") async throws -> StoredPlan {
        try await createUser("coord", roles: [.coordination])
        try await createUser("leader", roles: [.leadership])
        try await createUser("exams", roles: [.examAffairs])
        let standardID = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db).requireID()
        let coord = try client()
        try await coord.signIn("coord")
        _ = try await coord.postForm("/plans", [("title", "2026 年第四批电工认定"), ("standardID", standardID.uuidString),
                                                ("levels[]", String(level)), ("registrationOpens", "2026-11-20"), ("registrationCloses", "2026-12-20"),
                                                ("theoryDate", "2027-01-10"), ("venues", "南京玄武认定站点"), ("feeYuan", String(fee)),
                                                ("capacity", "50"), ("materials", materials)])
        guard let plan = try await StoredPlan.query(on: db).first(), let planID = plan.id?.uuidString else {
            throw DomainError.notFound(what: "plan")
        }
        _ = try await coord.postForm("/plans/\(planID)/action", [("action", "submit")])
        let leader = try client()
        try await leader.signIn("leader")
        _ = try await leader.postForm("/plans/\(planID)/action", [("action", "approve")])
        _ = try await coord.postForm("/plans/\(planID)/action", [("action", "publish")])
        guard let published = try await StoredPlan.find(plan.id, on: db), published.statusValue == .published else {
            throw DomainError.conflict(code: "not_published", zh: "计划未能发布", en: "the plan was not published")
        }
        return published
    }
}

/// A skills session (实操, 2027-01-10 09:00) in the first room with every fixture candidate seated, two task cards
/// attached (60 and 40 points), three examiners on the panel and a chief examiner.
public struct SkillsExam {
    public var fixture: ExamFixture
    public var sessionID: UUID
    public var paperID: UUID
    /// The task cards' items, in `tasks` order.
    public var itemIDs: [UUID]
    public var panel: [SignedInUser]
    public var chief: SignedInUser

    public static let tasks: [(ItemType, Int, ItemContent)] = [
        (.practicalTask, 60, ItemContent(stem: "三相异步电动机正反转控制线路的安装与调试", task: TaskCard(
            preparation: "考场准备：电动机 1 台、交流接触器 2 只、按钮 3 只、导线若干；考生自带电工工具。", minutes: 90,
            criteria: [.init(text: "元件选择与布置", points: 20, deduction: "布置不合理每处扣 2 分"),
                       .init(text: "接线工艺", points: 40, deduction: "接线错误每处扣 5 分"),
                       .init(text: "通电试车", points: 30, deduction: "一次试车不成功扣 10 分"),
                       .init(text: "安全文明生产", points: 10, deduction: "违反安全规程本任务记 0 分", veto: true)]))),
        (.practicalTask, 40, ItemContent(stem: "照明电路故障排查", task: TaskCard(
            preparation: "考场设置照明电路故障 2 处。", minutes: 30,
            criteria: [.init(text: "故障判断", points: 60), .init(text: "排除与记录", points: 40)]))),
    ]

    /// A comprehensive review (`mode: .review`) is for 二级 candidates and uses the built-in rubric.
    public static func make(_ t: TestApp, candidates: Int = 2, mode: ExamSession.Mode = .practical) async throws -> SkillsExam {
        let level = mode == .review ? 2 : 4
        let fixture = try await ExamFixture.make(t, employers: (0..<candidates).map { "单位\($0)" }, level: level)
        let session = try await fixture.session(t, mode: mode, rooms: [fixture.rooms[0]], level: level)
        let sessionID = try session.requireID()
        try await SessionStore.allocateSeats(sessionID: sessionID, seed: 7, actor: fixture.staff.actor, on: t.db, time: t.time)
        var paperID = ScoringStore.reviewRubricID
        var itemIDs = [ScoringStore.reviewRubricID]
        if mode == .practical {
            let (id, content) = try await fixture.attachPaper(t, sessionID: sessionID, part: .skills, items: tasks)
            (paperID, itemIDs) = (id, content.entries.map(\.itemID))
        }
        for examiner in fixture.examiners.prefix(3) {
            try await SessionStore.assign(sessionID: sessionID, userID: examiner.id, role: .examiner, roomID: fixture.rooms[0].id,
                                          actor: fixture.staff.actor, on: t.db, time: t.time)
        }
        try await SessionStore.assign(sessionID: sessionID, userID: fixture.examiners[3].id, role: .chiefExaminer, roomID: fixture.rooms[0].id,
                                      actor: fixture.staff.actor, on: t.db, time: t.time)
        return SkillsExam(fixture: fixture, sessionID: sessionID, paperID: paperID, itemIDs: itemIDs,
                          panel: Array(fixture.examiners.prefix(3)), chief: fixture.examiners[3])
    }

    /// Moves the test clock to `minutes` after the session's start.
    public func at(minutes: Double, _ t: TestApp) { ExamFixture.at(minutes: minutes, t) }

    /// Submits `examiner`'s sheet for candidate `index` on task `task` with one entry per criterion.
    @discardableResult
    public func score(_ t: TestApp, _ examiner: SignedInUser, candidate index: Int, task: Int = 0, _ entries: [String], vetoed: [Int] = [],
                      comment: String = "", ref: String? = nil) async throws -> ScoreSheetRecord {
        try await ScoringStore.submit(sessionID: sessionID, candidateID: fixture.candidates[index], itemID: itemIDs[task], entries: entries,
                                      vetoed: vetoed, comment: comment, clientRef: ref ?? UUID().uuidString, actor: examiner.actor,
                                      sealer: ExamFixture.sealer, on: t.db, time: t.time)
    }
}

/// A plan whose results are final: `candidates` 四级 candidates who passed (results written directly; the results
/// flow is tested on its own), a publicity that has ended, and a certificate-department user `certs`.
public struct FinalPlan {
    public var planID: UUID
    public var candidates: [UUID]
    public var results: [ResultRecord]
    public var staff: SignedInUser

    public static func make(_ t: TestApp, candidates: Int) async throws -> FinalPlan {
        let fixture = try await ExamFixture.make(t, employers: (0..<candidates).map { "单位\($0)" })
        let staff = try await t.createUser("certs", roles: [.certificate])
        return try await finalise(t, planID: fixture.planID, candidates: fixture.candidates, staff: staff)
    }

    /// Another plan of the same body and occupation with its own passing candidates (numbered from `from`).
    public func another(_ t: TestApp, candidates: Int, from: Int) async throws -> FinalPlan {
        let planID = try await ExamFixture.publishedPlan(t, staffSuffix: "-\(from)")
        var ids: [UUID] = []
        for i in from..<(from + candidates) { ids.append(try await ExamFixture.approvedCandidate(t, planID: planID, index: i, employer: "单位\(i)")) }
        return try await Self.finalise(t, planID: planID, candidates: ids, staff: staff)
    }

    static func finalise(_ t: TestApp, planID: UUID, candidates: [UUID], staff: SignedInUser) async throws -> FinalPlan {
        let today = t.time.now().chinaLocalDate.description
        var results: [ResultRecord] = []
        for candidate in candidates {
            guard let application = try await StoredApplication.query(on: t.db).filter(\.$candidateID == candidate).filter(\.$planID == planID).first() else { continue }
            let r = ResultRecord()
            r.planID = planID
            r.applicationID = try application.requireID()
            r.candidateID = candidate
            r.level = application.level
            r.theory = 80
            r.skills = 85
            r.absentParts = ""
            r.verdict = "passed"
            r.verdictParts = ""
            r.computedAt = t.time.now()
            r.releasedOn = today
            r.final = true
            try await r.create(on: t.db)
            results.append(r)
        }
        let p = PublicityRecord()
        p.planID = planID
        p.startedOn = today
        p.lastDay = today
        p.publishedBy = staff.id
        p.publishedAt = t.time.now()
        p.resultIDs = String(decoding: try JSONEncoder().encode(results.compactMap(\.id)), as: UTF8.self)
        p.finalizedAt = t.time.now()
        try await p.create(on: t.db)
        return FinalPlan(planID: planID, candidates: candidates, results: results, staff: staff)
    }
}
