import FluentKit
import Foundation
import SkillCertCore

extension DemoData {
    /// One sample candidate of the completed round: name, employer, how well they do in theory and skills (0–1).
    struct RoundCandidate {
        var name: String
        var employer: String
        var theory: Double
        var skills: Double
    }

    /// The completed round's applicants (all 示例): the last is rejected, the one before it misses both exams,
    /// 徐明亮 and 林小平 fall short in theory, 黄建平's safety veto fails his skills task.
    static let roundCandidates: [RoundCandidate] = [
        .init(name: "王晓东", employer: "苏州示例精密机械有限公司", theory: 0.92, skills: 0.90),
        .init(name: "李春燕", employer: "昆山示例电子科技有限公司", theory: 0.85, skills: 0.82),
        .init(name: "张立伟", employer: "苏州示例轨道交通运维公司", theory: 0.78, skills: 0.86),
        .init(name: "刘海涛", employer: "吴江示例建设工程有限公司", theory: 0.88, skills: 0.75),
        .init(name: "陈志刚", employer: "张家港示例钢铁有限公司", theory: 0.74, skills: 0.80),
        .init(name: "杨丽华", employer: "常熟示例纺织机械厂", theory: 0.95, skills: 0.93),
        .init(name: "赵俊杰", employer: "苏州示例精密机械有限公司", theory: 0.70, skills: 0.72),
        .init(name: "黄建平", employer: "昆山示例电子科技有限公司", theory: 0.81, skills: 0.78),
        .init(name: "周文斌", employer: "苏州示例轨道交通运维公司", theory: 0.76, skills: 0.84),
        .init(name: "吴桂英", employer: "吴江示例建设工程有限公司", theory: 0.90, skills: 0.88),
        .init(name: "徐明亮", employer: "张家港示例钢铁有限公司", theory: 0.42, skills: 0.70),
        .init(name: "孙玉兰", employer: "常熟示例纺织机械厂", theory: 0.83, skills: 0.79),
        .init(name: "胡国强", employer: "苏州示例精密机械有限公司", theory: 0.77, skills: 0.91),
        .init(name: "朱红梅", employer: "昆山示例电子科技有限公司", theory: 0.72, skills: 0.76),
        .init(name: "高永生", employer: "苏州示例轨道交通运维公司", theory: 0.87, skills: 0.83),
        .init(name: "林小平", employer: "吴江示例建设工程有限公司", theory: 0.48, skills: 0.74),
        .init(name: "何建军", employer: "张家港示例钢铁有限公司", theory: 0.80, skills: 0.87),
        .init(name: "郭晓燕", employer: "常熟示例纺织机械厂", theory: 0.75, skills: 0.81),
        .init(name: "马超", employer: "苏州示例物业管理有限公司", theory: 0.86, skills: 0.77),
        .init(name: "罗志勇", employer: "苏州示例物业管理有限公司", theory: 0.79, skills: 0.85),
        .init(name: "梁宏伟", employer: "太仓示例港务有限公司", theory: 0.80, skills: 0.80),
        .init(name: "宋佳", employer: "太仓示例港务有限公司", theory: 0.80, skills: 0.80),
    ]
    static let roundAbsent = 20
    static let roundRejected = 21
    static let roundVetoed = 7
    static let roundArbitrated = 4

    /// What `skillcert demo --completed-round` made.
    public struct CompletedRound: Sendable {
        public var planNumber: String
        public var candidates: Int
        public var certificates: [String]
        /// Usernames of the sample candidates who can sign in (the staff password) to see a result and a certificate.
        public var logins: [String]
    }

    /// `skillcert demo --completed-round`: a whole earlier round of the demo body, held about four months ago at the
    /// Suzhou site, every step through the stores as the roles do it, on a clock set back to each step's day:
    /// 22 applications reviewed (one rejected), a computer-based theory session (20 candidates answer, one absent,
    /// one incident and a supervisor's inspection), two skills sessions scored by a panel of three (one arbitration,
    /// one safety veto), results worked out and released, a score review, a publicity with an objection, final
    /// results, certificates issued, the paper analysed, two complaints and the batch report's conclusions. Also
    /// puts applications in every state into the open plan's registration queue. Needs `load` with a content key
    /// first. Run once; later runs report the same round.
    public static func completedRound(hasher: any PasswordHashing, sealer: ContentSealer, signer: CredentialSigner,
                                      links: CertificateStore.Links, on db: any Database, time: any TimeSource) async throws -> CompletedRound {
        let usernames = roundCandidates.indices.map { String(format: "round%02d", $0 + 1) }
        let logins = Array(usernames.prefix(3))
        if let first = try await User.query(on: db).filter(\.$username == usernames[0]).first(),
           let application = try await StoredApplication.query(on: db).filter(\.$candidateID == first.requireID()).first(),
           let plan = try await StoredPlan.find(application.planID, on: db) {
            let numbers = try await CertificateRecord.query(on: db).filter(\.$planID == plan.requireID()).sort(\.$number).all().map(\.number)
            return CompletedRound(planNumber: plan.number, candidates: usernames.count, certificates: numbers, logins: logins)
        }
        var staff: [String: User] = [:]
        for username in ["coord", "leader", "exams", "items", "reviewer", "certs", "quality", "examiner1", "examiner2", "examiner3",
                         "examiner4", "examiner5", "supervisor1"] {
            guard let u = try await User.query(on: db).filter(\.$username == username).first() else {
                throw DomainError.conflict(code: "no_demo_plan", zh: "请先运行 skillcert demo 加载示例数据", en: "run `skillcert demo` first")
            }
            staff[username] = u
        }
        func who(_ username: String) -> AuditActor { AuditActor(id: staff[username]?.id, name: username) }
        func id(_ username: String) throws -> UUID { try staff[username]!.requireID() }
        guard try await StoredItem.query(on: db).filter(\.$part == AssessmentPartKind.theory.rawValue).count() > 0 else {
            throw DomainError.conflict(code: "no_item_bank", zh: "示例题库为空：请先运行 skillcert keys generate 再运行 skillcert demo",
                                       en: "the sample item bank is empty: generate the keys, then run `skillcert demo`")
        }

        // The round's clock: day 0 is the theory exam, 120 days before today; `at` moves it forward to a day and time.
        let examDay = time.now().chinaLocalDate.adding(days: -120)
        let clock = ManualTimeSource(TimeSlot(date: examDay.adding(days: -50), startMinute: 9 * 60, minutes: 0).start)
        func at(_ day: Int, _ hhmm: String) {
            let target = TimeSlot(date: examDay.adding(days: day), startMinute: TimeSlot.minute(of: hhmm) ?? 9 * 60, minutes: 0).start
            clock.advance(by: max(0, target.timeIntervalSince(clock.now())))
        }
        let site = body.sites[1].code

        // The plan: drafted, approved and published 50 days before the exam; registration open for 25 days.
        let standardRow = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db)
        let standardID = try standardRow.requireID()
        let plan = try await publish(CertificationPlan(
            title: "\(examDay.year) 年第二批电工职业技能等级认定（示例·已完成）", standardID: standardID.uuidString,
            occupationName: "电工", levels: [4], workType: nil,
            registrationOpens: examDay.adding(days: -45), registrationCloses: examDay.adding(days: -20),
            examDates: [.init(part: .theory, date: examDay), .init(part: .skills, date: examDay.adding(days: 1))],
            venues: ["苏州吴中认定站点（示例）"], feeYuan: 200, capacity: 40,
            materials: [.init(level: 4, items: ["身份证正反面", "学历证书"])], notes: "示例数据：已完成全部流程（报名、考试、评分、公示、颁证）的批次。"),
            coordinator: staff["coord"]!, leader: staff["leader"]!, on: db, time: clock)
        let planID = try plan.requireID()

        // Applications arrive during registration (written directly: the uploads and the engine are tested on their
        // own); exam affairs review them through the store, rejecting one.
        let passwordHash = try await hasher.hash(staffPassword)
        var applications: [UUID] = []
        var idNumbers: [String] = []
        for (i, c) in roundCandidates.enumerated() {
            at(-44 + i, "10:00")
            let birth = LocalDate(year: 1978 + (i * 7) % 20, month: 1 + (i * 5) % 12, day: 1 + (i * 11) % 28)!
            let number = ResidentID.completing("320506" + birth.description.replacingOccurrences(of: "-", with: "") + String(format: "%03d", 200 + i))!
            let sample = try sampleApplicant(planID: planID, username: usernames[i], displayName: "\(c.name)（示例考生）", name: c.name, idNumber: number,
                                             employer: c.employer, passwordHash: i < logins.count ? passwordHash : Accounts.unclaimedPasswordHash,
                                             sealer: sealer, now: clock.now())
            sample.application.status = StoredApplication.Status.submitted.rawValue
            sample.application.paymentStatus = PaymentStatus.paid.rawValue
            sample.application.receiptNumber = String(format: "SZ-SL-%04d（示例）", i + 1)
            if i == roundRejected {
                sample.application.engineEligible = false
                sample.application.engineExplanation = "示例数据：累计从事本职业工作年限不足，不符合四级申报条件。"
            } else {
                sample.application.engineExplanation = "示例数据：符合四级申报条件（从事本职业工作满规定年限）。"
            }
            try await sample.create(on: db)
            applications.append(try sample.application.requireID())
            idNumbers.append(number)
        }
        at(-18, "14:00")
        for (i, application) in applications.enumerated() {
            if i == roundRejected {
                try await ApplicationStore.decide(.reject, applicationID: application, reason: "工作年限证明不足，不符合四级申报条件（示例）", deadline: nil,
                                                  reviewer: who("exams"), on: db, time: clock)
            } else {
                try await ApplicationStore.decide(.approve, applicationID: application, reason: "", deadline: nil, reviewer: who("exams"), on: db, time: clock)
            }
        }
        let approved = Array(applications.prefix(roundRejected))

        // Rooms at the Suzhou site, the sessions, seats and tickets, and the staff.
        at(-15, "09:00")
        let hall = try await RoomStore.create(siteCode: site, name: "苏州第1机考室（示例）", rows: 5, columns: 6, capacity: nil, actor: who("exams"), on: db, time: clock)
        let workshop = try await RoomStore.create(siteCode: site, name: "苏州电工实训车间（示例）", rows: 3, columns: 5, capacity: nil, actor: who("exams"),
                                                  on: db, time: clock)
        let theory = try await SessionStore.create(.init(planID: planID, level: 4, mode: .computer, date: examDay.description, start: "09:00", minutes: nil,
                                                         siteCode: site, roomIDs: [try hall.requireID()]), actor: who("exams"), on: db, time: clock)
        let theoryID = try theory.requireID()
        var skills: [ExamSession] = []
        for start in ["08:30", "14:00"] {
            skills.append(try await SessionStore.create(.init(planID: planID, level: 4, mode: .practical, date: examDay.adding(days: 1).description, start: start,
                                                              minutes: nil, siteCode: site, roomIDs: [try workshop.requireID()]),
                                                        actor: who("exams"), on: db, time: clock))
        }
        at(-10, "10:00")
        try await SessionStore.allocateSeats(sessionID: theoryID, seed: 20_260_002, actor: who("exams"), on: db, time: clock)
        // The morning group is the first eleven; the afternoon the other ten.
        let groups = [Set(approved.prefix(11)), Set(approved.dropFirst(11))]
        for (session, group) in zip(skills, groups) {
            try await SessionStore.allocateSeats(sessionID: session.requireID(), seed: 20_260_003, actor: who("exams"), on: db, time: clock, only: group)
        }
        at(-8, "10:00")
        let workshopID = try workshop.requireID()
        for invigilator in ["examiner4", "examiner5"] {
            try await SessionStore.assign(sessionID: theoryID, userID: id(invigilator), role: .invigilator, roomID: hall.id, actor: who("exams"), on: db, time: clock)
        }
        try await SessionStore.assign(sessionID: theoryID, userID: id("supervisor1"), role: .supervisor, roomID: nil, actor: who("exams"), on: db, time: clock)
        for session in skills {
            for examiner in ["examiner1", "examiner2", "examiner3"] {
                try await SessionStore.assign(sessionID: session.requireID(), userID: id(examiner), role: .examiner, roomID: workshopID, actor: who("exams"),
                                              on: db, time: clock)
            }
            try await SessionStore.assign(sessionID: session.requireID(), userID: id("examiner4"), role: .chiefExaminer, roomID: workshopID,
                                          actor: who("exams"), on: db, time: clock)
            try await SessionStore.assign(sessionID: session.requireID(), userID: id("supervisor1"), role: .supervisor, roomID: nil, actor: who("exams"),
                                          on: db, time: clock)
        }

        // Papers: a theory paper from the sample bank; a skills paper of two task cards written and approved for this round.
        at(-5, "15:00")
        let theoryPaper = try await PaperStore.assemble(standardID: standardID, level: 4, part: .theory, planID: planID, forms: 1, seed: 20_260_731,
                                                        releaseAt: nil, actor: who("exams"), sealer: sealer, on: db, time: clock)[0]
        let theoryPaperID = try theoryPaper.requireID()
        try await AttemptStore.attachPaper(theoryPaperID, to: theoryID, actor: who("exams"), on: db, time: clock)
        let cards: [(String, Int, String, TaskCard)] = [
            ("A", 60, "【示例任务】三相异步电动机正反转控制线路的安装与调试",
             TaskCard(preparation: "考场准备：三相异步电动机 1 台、交流接触器 2 只、热继电器 1 只、按钮 3 只、导线若干。考生自带电工工具。", minutes: 90,
                      criteria: [.init(text: "元件选择与布置", points: 20, deduction: "布置不合理每处扣 2 分"),
                                 .init(text: "接线工艺", points: 40, deduction: "接线错误每处扣 5 分"),
                                 .init(text: "通电试车", points: 30, deduction: "一次试车不成功扣 10 分"),
                                 .init(text: "安全文明生产", points: 10, deduction: "违反安全操作规程，本任务记 0 分", veto: true)])),
            ("B", 40, "【示例任务】照明电路故障排查",
             TaskCard(preparation: "考场在照明电路中设置 2 处故障。", minutes: 30,
                      criteria: [.init(text: "故障现象分析与判断", points: 60, deduction: "判断错误每处扣 30 分"),
                                 .init(text: "故障排除与记录", points: 40, deduction: "未排除每处扣 20 分")])),
        ]
        for card in cards {
            let item = try await ItemBankStore.create(.init(standardID: standardID, level: 4, part: .skills, scopeCode: card.0, elementCode: "001",
                                                            type: .practicalTask, content: ItemContent(stem: card.2, task: card.3), difficulty: 0.7,
                                                            source: "示例数据", tags: ["示例", "实操"]),
                                                      author: who("items"), sealer: sealer, on: db, time: clock)
            try await ItemBankStore.act(.submit, itemID: item.requireID(), reason: nil, actor: who("items"), on: db, time: clock)
            try await ItemBankStore.act(.approve, itemID: item.requireID(), reason: nil, actor: who("reviewer"), on: db, time: clock)
        }
        try await PaperStore.saveBlueprint(Blueprint(cells: cards.map { .init(scope: $0.0, type: .practicalTask, count: 1, pointsEach: $0.1) },
                                                     difficultyTarget: 0.7, difficultyTolerance: 0.3, corePointsShare: 0, maxOverlap: 2, exposureLimit: 100),
                                           standardID: standardID, level: 4, part: .skills, planID: planID, note: "示例实操试卷结构", actor: who("exams"),
                                           on: db, time: clock)
        let skillsPaper = try await PaperStore.assemble(standardID: standardID, level: 4, part: .skills, planID: planID, forms: 1, seed: 20_260_801,
                                                        releaseAt: nil, actor: who("exams"), sealer: sealer, on: db, time: clock)[0]
        for session in skills {
            try await AttemptStore.attachPaper(skillsPaper.requireID(), to: session.requireID(), actor: who("exams"), on: db, time: clock)
        }

        // Exam day: check-in (one candidate does not come), sign-in, answers, submission; an incident and an inspection.
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$planID == planID).all().map { ($0.applicationID, $0.number) },
                                 uniquingKeysWith: { a, _ in a })
        let sitting = approved.indices.filter { $0 != roundAbsent }
        at(0, "08:20")
        for i in sitting {
            _ = try await SessionStore.checkIn(sessionID: theoryID, ticketNumber: tickets[approved[i]] ?? "", actor: who("exams"), on: db, time: clock)
        }
        at(0, "08:45")
        var tokens: [Int: String] = [:]
        for i in sitting {
            tokens[i] = try await AttemptStore.login(ticketNumber: tickets[approved[i]] ?? "", idNumber: idNumbers[i], sessionPassword: nil, sealer: sealer,
                                                     on: db, time: clock).token
        }
        at(0, "09:01")
        // The paper opens at the session's start.
        let content = try await PaperCache.shared.content(theoryPaperID, sealer: sealer, on: db, time: clock)
        for i in sitting {
            guard let token = tokens[i], let signedIn = try await AttemptStore.authenticate(token: token, on: db) else { throw DomainError.notFound(what: "attempt") }
            _ = try await AttemptStore.view(signedIn, sealer: sealer, on: db, time: clock)
        }
        at(0, "09:15")
        _ = try await SessionStore.closeAttendance(sessionID: theoryID, actor: who("exams"), on: db, time: clock)
        at(0, "09:20")
        try await SessionStore.record(sessionID: theoryID, kind: "inspection", candidateTicket: nil,
                                      text: "（示例）巡查第1机考室：考生按时入场，身份核验、座位与准考证一致，监考员 2 名到岗，考场秩序良好。",
                                      decision: nil, actor: who("supervisor1"), on: db, time: clock)
        for i in sitting {
            guard let token = tokens[i], let attempt = try await AttemptStore.authenticate(token: token, on: db) else { throw DomainError.notFound(what: "attempt") }
            for (j, entry) in content.entries.enumerated() {
                guard let response = sampleResponse(candidate: i, item: j, entry: entry) else { continue }
                _ = try await AttemptStore.save(attempt, itemID: entry.itemID, response: response, seq: j + 1, sealer: sealer, on: db, time: clock)
            }
        }
        at(0, "09:32")
        try await SessionStore.record(sessionID: theoryID, kind: "incident", candidateTicket: tickets[approved[6]],
                                      text: "（示例）考生开考后发现随身携带手机未关机，监考员当场收缴并登记。", decision: "给予警告，手机暂扣至考试结束，本场成绩有效。",
                                      actor: who("exams"), on: db, time: clock)
        for (n, i) in sitting.enumerated() {
            at(0, TimeSlot.clock(9 * 60 + 40 + n * 2))
            guard let token = tokens[i], let attempt = try await AttemptStore.authenticate(token: token, on: db) else { throw DomainError.notFound(what: "attempt") }
            _ = try await AttemptStore.submit(attempt, endedBy: .candidate, reason: nil, actor: AuditActor(id: attempt.candidateID, name: roundCandidates[i].name),
                                              sealer: sealer, on: db, time: clock)
        }

        // The skills day: each group checks in, the panel of three scores both tasks blind, the chief arbitrates a spread.
        for (g, session) in skills.enumerated() {
            let sessionID = try session.requireID()
            let start = session.startMinute
            let members = approved.indices.filter { groups[g].contains(approved[$0]) }
            at(1, TimeSlot.clock(start - 15))
            for i in members where i != roundAbsent {
                _ = try await SessionStore.checkIn(sessionID: sessionID, ticketNumber: tickets[approved[i]] ?? "", actor: who("exams"), on: db, time: clock)
            }
            at(1, TimeSlot.clock(start + 10))
            _ = try await SessionStore.closeAttendance(sessionID: sessionID, actor: who("exams"), on: db, time: clock)
            let tasks = try await ScoringStore.tasks(of: session, sealer: sealer, on: db, time: clock)
            at(1, TimeSlot.clock(start + 100))
            for i in members where i != roundAbsent {
                let candidateID = try await StoredApplication.find(approved[i], on: db)!.candidateID
                for (t, task) in tasks.enumerated() {
                    for (k, examiner) in ["examiner1", "examiner2", "examiner3"].enumerated() {
                        let (entries, vetoed) = sampleSheet(candidate: i, task: t, examiner: k, card: task.card)
                        try await ScoringStore.submit(sessionID: sessionID, candidateID: candidateID, itemID: task.itemID, entries: entries, vetoed: vetoed,
                                                      comment: vetoed.isEmpty ? "" : "（示例）未断电即进行接线，违反安全操作规程。",
                                                      clientRef: "demo-\(i)-\(t)-\(k)", actor: who(examiner), sealer: sealer, on: db, time: clock)
                    }
                }
            }
            at(1, TimeSlot.clock(start + 115))
            for record in try await TaskScoreRecord.query(on: db).filter(\.$sessionID == sessionID).all() where record.stateValue == .arbitration {
                try await ScoringStore.arbitrate(taskScoreID: record.requireID(), score: "78",
                                                 reason: "（示例）三名考评员对故障判断项评分差异较大，经核对现场记录，第二处故障判断正确但用时较长，按 78 分确定。",
                                                 actor: who("examiner4"), on: db, time: clock)
            }
            try await SessionStore.record(sessionID: sessionID, kind: "inspection", candidateTicket: nil,
                                          text: "（示例）巡查实训车间：工位、设备与安全防护到位，考评小组 3 人独立评分，组长未参与打分。",
                                          decision: nil, actor: who("supervisor1"), on: db, time: clock)
        }

        // Paper analysis, results, a score review, an appeal and a complaint, the publicity with an objection, certificates.
        at(5, "10:00")
        try await PaperAnalysisStore.analyse(paperID: theoryPaperID, actor: who("quality"), sealer: sealer, on: db, time: clock)
        at(7, "09:00")
        try await ResultStore.compute(planID: planID, actor: who("exams"), sealer: sealer, on: db, time: clock)
        at(8, "09:00")
        try await ResultStore.release(planID: planID, on: examDay.adding(days: 8), actor: who("exams"), db: db, time: clock)
        let results = Dictionary(try await ResultRecord.query(on: db).filter(\.$planID == planID).all().map { ($0.applicationID, $0) },
                                 uniquingKeysWith: { a, _ in a })
        at(9, "10:00")
        if let vetoed = results[approved[roundVetoed]] {
            let review = try await ResultStore.requestReview(resultID: vetoed.requireID(), part: .skills,
                                                             text: "（示例）本人认为接线前已确认断电，对“安全文明生产”项否决有异议，申请复核。",
                                                             actor: AuditActor(id: vetoed.candidateID, name: roundCandidates[roundVetoed].name), on: db, time: clock)
            at(10, "09:00")
            try await ResultStore.assignReviewers(reviewID: review.requireID(), reviewers: [id("examiner5")], actor: who("exams"), on: db, time: clock)
            at(12, "15:00")
            try await ResultStore.answerReview(reviewID: review.requireID(), newScore: "",
                                               answer: "（示例）经复核三名考评员的评分表、现场照片及督导记录，考生未断电即开始接线，三人一致否决，合分无误，维持原成绩。",
                                               actor: who("examiner5"), on: db, time: clock)
        }
        at(12, "16:00")
        let failedTheory = results[approved[10]]?.candidateID
        let appeal = try await ComplaintStore.receive(.init(category: ComplaintCategory.appeal.rawValue, subject: "理论成绩申诉（示例）",
                                                            text: "（示例）本人认为理论考试成绩偏低，怀疑机考系统未保存部分答案。",
                                                            complainantName: roundCandidates[10].name, contact: "13800000010", planID: planID.uuidString,
                                                            candidateID: failedTheory?.uuidString ?? "", sessionID: theoryID.uuidString),
                                                      fromPublic: false, actor: who("quality"), on: db, time: clock)
        try await ComplaintStore.assign(appeal.requireID(), to: id("quality"), actor: who("quality"), on: db, time: clock)
        at(13, "16:00")
        try await ComplaintStore.answer(appeal.requireID(), outcome: ComplaintOutcome.notUpheld.rawValue,
                                        reply: "（示例）经调取作答记录，您的全部答案均已保存并按标准答案评分，成绩无误。",
                                        actor: who("quality"), on: db, time: clock)
        at(14, "09:00")
        try await ComplaintStore.close(appeal.requireID(), reason: "已答复考生，考生无异议（示例）", actor: who("quality"), on: db, time: clock)
        let complaint = try await ComplaintStore.receive(.init(category: ComplaintCategory.complaint.rawValue, subject: "检录排队时间过长（示例）",
                                                               text: "（示例）实操考试当天上午检录排队近 40 分钟，现场缺少引导。",
                                                               complainantName: "匿名考生（示例）", contact: "13900000021", planID: planID.uuidString,
                                                               sessionID: try skills[0].requireID().uuidString),
                                                         fromPublic: false, actor: who("quality"), on: db, time: clock)
        try await ComplaintStore.assign(complaint.requireID(), to: id("exams"), actor: who("quality"), on: db, time: clock)
        at(15, "09:00")
        let publicity = try await ResultStore.publish(planID: planID, actor: who("exams"), on: db, time: clock)
        at(16, "14:00")
        let objection = try await ResultStore.raiseObjection(publicityID: publicity.requireID(), subject: roundCandidates[2].name,
                                                             text: "（示例）听说该考生实操考试时由他人代为接线，请核实。", contactName: "张先生（示例）",
                                                             contact: "13700000003", on: db, time: clock)
        at(17, "16:00")
        try await ResultStore.handleObjection(objection.requireID(), investigation: "（示例）调取考场监控与督导记录，考生本人独立完成操作，未发现代考。",
                                              answer: "经核查，反映情况不属实，维持公示结果（示例）。", actor: who("exams"), on: db, time: clock)
        let lastDay = LocalDate(iso: publicity.lastDay) ?? examDay.adding(days: 22)
        clock.advance(by: max(0, TimeSlot(date: lastDay.adding(days: 1), startMinute: 9 * 60, minutes: 0).start.timeIntervalSince(clock.now())))
        try await ResultStore.finalize(publicityID: publicity.requireID(), actor: who("exams"), on: db, time: clock)
        clock.advance(by: 3 * 86_400)
        let numbers = try await CertificateStore.issue(planID: planID, actor: who("certs"), sealer: sealer, signer: signer, links: links, on: db, time: clock)
        clock.advance(by: 7 * 86_400)
        try await BatchReportStore.saveConclusions(
            planID: planID,
            conclusions: "（示例）本批次组织规范：报名审核、机考、实操评分、成绩复核与公示均按规程完成，1 起违纪已按规定处理，公示期异议经核查不属实。",
            improvements: "（示例）实操检录增设引导人员并分时段入场；对理论成绩偏低的考生加强考前培训；继续开展试卷质量分析。",
            actor: who("leader"), on: db, time: clock)
        return CompletedRound(planNumber: plan.number, candidates: usernames.count, certificates: numbers.sorted(), logins: logins)
    }

    /// A deterministic number in 0..<1 for (a, b).
    static func sampleDraw(_ a: Int, _ b: Int) -> Double {
        var x = UInt64(truncatingIfNeeded: a &* 1_000_003 &+ b &* 7_919 &+ 12_345)
        for _ in 0..<3 {
            x ^= x >> 33
            x = x &* 0xff51_afd7_ed55_8ccd
        }
        return Double(x >> 11) / Double(1 << 53)
    }

    /// Candidate `i`'s answer to the paper's item `j`: right with a chance set by the candidate's ability and the
    /// item, otherwise a plausible wrong answer, now and then none.
    static func sampleResponse(candidate i: Int, item j: Int, entry: PaperStore.PaperContent.Entry) -> [String]? {
        let correct = entry.content.correct ?? []
        let chance = min(0.98, max(0.05, roundCandidates[i].theory + (sampleDraw(j, 99) - 0.5) * 0.3))
        let draw = sampleDraw(i, j)
        if draw < chance { return correct.map(String.init) }
        if draw > 0.97 { return nil }
        switch entry.type {
        case .trueFalse:
            return [String(1 - (correct.first ?? 0))]
        case .multipleChoice:
            // Most wrong answers to a multiple-choice item leave out one right option.
            return correct.count > 1 ? correct.dropLast().map(String.init) : ["0", "1"]
        default:
            let n = max(entry.content.options?.count ?? 4, 2)
            return [String(((correct.first ?? 0) + 1 + Int(draw * 10) % (n - 1)) % n)]
        }
    }

    /// Examiner `k`'s sheet for candidate `i` on task `t`: each criterion near the candidate's level, within a point
    /// of the other examiners, except for the arbitrated case and the safety veto.
    static func sampleSheet(candidate i: Int, task t: Int, examiner k: Int, card: TaskCard) -> ([String], [Int]) {
        if i == roundArbitrated && t == 1 && card.criteria.count == 2 {
            return ([["42", "30"], ["51", "34"], ["46", "32"]][k], [])
        }
        let level = roundCandidates[i].skills
        var entries: [String] = []
        var vetoed: [Int] = []
        for (c, criterion) in card.criteria.enumerated() {
            if criterion.veto && i == roundVetoed {
                entries.append("0")
                vetoed.append(c)
                continue
            }
            let jitter = Double((k + c + i) % 3 - 1)
            let points = Double(criterion.points)
            entries.append(String(Int(min(points, max(0, (points * level).rounded() + jitter)))))
        }
        return (entries, vetoed)
    }
}

extension DemoData {
    /// The open plan's registration queue (`skillcert demo --completed-round`): six sample applicants (示例) —
    /// two approved, one asked for more material, three waiting for review, one of them below the engine's bar.
    /// Returns how many were added (none on later runs).
    public static func registrationQueue(sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> Int {
        guard try await User.query(on: db).filter(\.$username == "apply01").first() == nil,
              let exams = try await User.query(on: db).filter(\.$username == "exams").first() else { return 0 }
        let today = time.now().chinaLocalDate
        let open = try await StoredPlan.query(on: db).filter(\.$status == PlanStatus.published.rawValue).sort(\.$number).all().first { row in
            guard let p = try? row.plan() else { return false }
            return p.registrationOpens <= today && today <= p.registrationCloses
        }
        guard let open, let planID = open.id else { return 0 }
        let people: [(String, String, Int, Bool)] = [
            ("许文博", "南京示例地铁运营公司", 4, true), ("邓丽君", "南京示例电梯工程有限公司", 4, true), ("冯志远", "江宁示例开发区物业公司", 3, true),
            ("曹雪梅", "南京示例地铁运营公司", 4, true), ("彭建华", "六合示例化工有限公司", 3, false), ("蒋海燕", "南京示例电梯工程有限公司", 4, true),
        ]
        let reviewer = AuditActor(id: exams.id, name: exams.username)
        for (i, person) in people.enumerated() {
            let number = ResidentID.completing("320115" + "19\(86 + i)0\(i + 1)1\(i)" + String(format: "%03d", 300 + i))!
            let sample = try sampleApplicant(planID: planID, username: String(format: "apply%02d", i + 1), displayName: "\(person.0)（示例考生）",
                                             name: person.0, idNumber: number, employer: person.1, level: person.2, sealer: sealer,
                                             now: time.now().addingTimeInterval(Double(i - 6) * 86_400))
            sample.application.status = StoredApplication.Status.submitted.rawValue
            sample.application.paymentStatus = (i < 3 ? PaymentStatus.paid : .unpaid).rawValue
            sample.application.receiptNumber = i < 3 ? String(format: "NJ-XW-%04d（示例）", i + 1) : nil
            sample.application.engineEligible = person.3
            sample.application.engineExplanation = person.3 ? "示例数据：符合\(Level(person.2).fullName)申报条件。"
                : "示例数据：申报三级须取得本职业四级证书后从事本职业工作满 4 年，所填年限不足。"
            try await sample.create(on: db)
            let id = try sample.application.requireID()
            switch i {
            case 0, 1: try await ApplicationStore.decide(.approve, applicationID: id, reason: "", deadline: nil, reviewer: reviewer, on: db, time: time)
            case 2: try await ApplicationStore.decide(.requestMore, applicationID: id, reason: "请补充上传单位出具的工作年限证明（示例）", deadline: today.adding(days: 7),
                                                      reviewer: reviewer, on: db, time: time)
            default: break
            }
        }
        return people.count
    }
}
