import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence

/// Assembles a plan's dossier (认定档案) from what the system holds, with the same PDF and XLSX writers the pages
/// use: the registration and review file, the filing file, the process file, the papers and results file and the
/// certificate file for the batch, and per candidate the uploaded materials and a summary.
public enum DossierExport {
    /// Builds the ZIP and records the export in the audit trail.
    public static func export(planID: UUID, actor: AuditActor, files store: any FileStore, on db: any Database,
                              time: any TimeSource) async throws -> (data: Data, manifest: DossierManifest) {
        guard let plan = try await StoredPlan.find(planID, on: db) else { throw DomainError.notFound(what: "plan") }
        let files = try await contents(plan, store: store, on: db)
        let range = try await ArchiveStore.auditRange(planID: planID, on: db)
        let package = try DossierPackage.write(files, plan: .init(id: planID.uuidString, number: plan.number, title: plan.title),
                                               generatedAt: time.now(),
                                               audit: range.map { .init(firstSequence: $0.first, lastSequence: $0.last, lastHash: $0.lastHash) })
        try await ArchiveStore.recordExport(planID: planID, sha256: ContentHash.sha256(package.data), bytes: package.data.count,
                                            files: package.manifest.files.count, actor: actor, on: db, time: time)
        return package
    }

    static func contents(_ plan: StoredPlan, store: any FileStore, on db: any Database) async throws -> [DossierFile] {
        let planID = try plan.requireID()
        let applications = try await StoredApplication.query(on: db).filter(\.$planID == planID).sort(\.$createdAt).all()
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ applications.map(\.candidateID)).all()
            .map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$planID == planID).all().map { ($0.applicationID, $0.number) },
                                 uniquingKeysWith: { a, _ in a })
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).sort(\.$heldOn).sort(\.$startMinute).all()
        let results = try await ResultRecord.query(on: db).filter(\.$planID == planID).all()
        let certificates = try await CertificateRecord.query(on: db).filter(\.$planID == planID).sort(\.$number).all()
        let name = { (id: UUID) in profiles[id]?.fullName ?? "" }
        let masked = { (id: UUID) in profiles[id]?.idNumberMasked ?? "" }
        var out: [DossierFile] = []

        // 1 Registration and review.
        out.append(.init(path: "batch/1-registration/applications.xlsx", title: "报名与资格审核登记表", data: try XLSXWriter.write([Worksheet(
            name: "报名", header: ["准考证号", "姓名", "证件号码", "单位", "等级", "审核状态", "审核意见", "人工改判", "缴费", "报名时间"],
            rows: applications.map { a in
                [.text(tickets[a.id ?? UUID()] ?? ""), .text(name(a.candidateID)), .text(masked(a.candidateID)), .text(a.employer),
                 .text(Level(a.level).fullName), .text(a.statusValue.nameZH), .text(a.decisionReason ?? ""), .text(a.overridden ? "是" : "否"),
                 .text(a.paymentStatus), .text(ISO8601DateFormatter().string(from: a.createdAt))]
            })])))

        // 2 Filing: the plan as approved and published, with its amendments.
        let amendments = try await PlanAmendment.query(on: db).filter(\.$planID == planID).sort(\.$publishedAt).all()
        out.append(.init(path: "batch/2-filing/plan.pdf", title: "认定计划（实施方案）", data: try planPDF(plan, amendments: amendments)))
        out.append(.init(path: "batch/2-filing/plan.json", title: "认定计划原始数据", data: Data(plan.body.utf8)))

        // 3 Process: per session the sign-in sheet and the room record; all incidents and inspections in one list.
        var incidents: [[CellValue]] = []
        for (n, s) in sessions.enumerated() {
            let sid = try s.requireID()
            let when = "\(s.heldOn) \(s.slot.timeText)"
            let prefix = "batch/3-process/\(String(format: "%02d", n + 1))-\(s.heldOn)-\(s.mode)"
            out.append(.init(path: "\(prefix)-sign-in.pdf", title: "签到表 \(when)",
                             data: try SignInSheet.render(try await SessionDocuments.signInSheet(s, plan: plan, on: db))))
            out.append(.init(path: "\(prefix)-room-record.pdf", title: "考场记录 \(when)",
                             data: try RoomRecord.render(try await SessionDocuments.roomRecord(s, plan: plan, on: db))))
            let records = try await SessionRecord.query(on: db).filter(\.$sessionID == sid).sort(\.$recordedAt).all()
            incidents += records.map { r in
                [.text(when), .text(r.kind == "incident" ? "违纪" : "督导检查"), .text(r.candidateID.map(name) ?? ""), .text(r.text),
                 .text(r.decision ?? ""), .text(ISO8601DateFormatter().string(from: r.recordedAt))]
            }
        }
        out.append(.init(path: "batch/3-process/incidents-and-supervision.xlsx", title: "违纪处理与督导记录", data: try XLSXWriter.write([Worksheet(
            name: "记录", header: ["场次", "类别", "考生", "情况", "处理", "记录时间"], rows: incidents)])))

        // 4 Papers and results: every examiner's score sheet (examiners by name) and the results.
        let sheets = try await ScoreSheetRecord.query(on: db).filter(\.$sessionID ~~ sessions.compactMap(\.id)).sort(\.$submittedAt).all()
        let examiners = Dictionary(try await RegistryMember.query(on: db).filter(\.$userID ~~ sheets.map(\.examinerID)).all().map { ($0.userID, $0.fullName) },
                                   uniquingKeysWith: { a, _ in a })
        out.append(.init(path: "batch/4-results/score-sheets.xlsx", title: "考核评分记录表", data: try XLSXWriter.write([Worksheet(
            name: "评分", header: ["场次", "考生", "考评员", "得分", "否决", "提交时间", "更正时间"],
            rows: sheets.map { sh in
                [.text(sessions.first { $0.id == sh.sessionID }?.heldOn ?? ""), .text(name(sh.candidateID)), .text(examiners[sh.examinerID] ?? ""),
                 .number(sh.score), .text(sh.vetoed ? "是" : "否"), .text(ISO8601DateFormatter().string(from: sh.submittedAt)),
                 .text(sh.correctedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "")]
            })])))
        out.append(.init(path: "batch/4-results/results.xlsx", title: "成绩与结果", data: try XLSXWriter.write([Worksheet(
            name: "成绩", header: ["姓名", "证件号码", "等级", "理论知识", "操作技能", "综合评审", "结果", "发布日期", "最终"],
            rows: results.map { r in
                [.text(name(r.candidateID)), .text(masked(r.candidateID)), .text(Level(r.level).fullName), r.theory.map(CellValue.number) ?? .empty,
                 r.skills.map(CellValue.number) ?? .empty, r.review.map(CellValue.number) ?? .empty, .text(r.verdict == "passed" ? "合格" : r.verdict),
                 .text(r.releasedOn ?? ""), .text(r.final ? "是" : "否")]
            })])))

        // 5 Certificates.
        out.append(.init(path: "batch/5-certificates/certificates.xlsx", title: "证书发放登记表", data: try XLSXWriter.write([Worksheet(
            name: "证书", header: ["证书编号", "姓名", "证件号码", "职业", "等级", "发证日期", "状态"],
            rows: certificates.map { c in
                [.text(c.number), .text(c.fullName), .text(c.idMasked), .text(c.occupationName), .text(Level(c.level).fullName), .text(c.issueDate),
                 .text(c.status)]
            })])))

        // Per candidate: the uploaded materials (a disposed file is named in the summary, not exported).
        let materials = try await ApplicationMaterial.query(on: db).filter(\.$applicationID ~~ applications.compactMap(\.id)).sort(\.$uploadedAt).all()
        for (n, a) in applications.enumerated() {
            let aid = try a.requireID()
            let folder = "candidates/\(String(format: "%04d", n + 1))-\(tickets[aid] ?? String(aid.uuidString.prefix(8)))"
            let mine = materials.filter { $0.applicationID == aid }
            var lines: [[String]] = []
            for (i, m) in mine.enumerated() {
                guard !m.fileKey.isEmpty, let data = try await store.get(m.fileKey) else {
                    lines.append([m.name, m.fileName, "已按保存期限销毁或缺失"])
                    continue
                }
                let path = "\(folder)/materials/\(String(format: "%02d", i + 1))\(Self.extensionOf(m.fileName))"
                out.append(.init(path: path, title: "\(name(a.candidateID)) · \(m.name)", data: data))
                lines.append([m.name, m.fileName, path])
            }
            let result = results.first { $0.applicationID == aid }
            let certificate = certificates.first { $0.resultID == result?.id }
            out.append(.init(path: "\(folder)/summary.pdf", title: "\(name(a.candidateID)) · 个人档案", data: try candidatePDF(
                plan: plan, application: a, name: name(a.candidateID), masked: masked(a.candidateID), ticket: tickets[aid], materials: lines,
                result: result, certificate: certificate)))
        }
        return out
    }

    /// `.pdf` from `学历证书.PDF`: entry names in the archive stay ASCII, the original name is in the summary.
    static func extensionOf(_ fileName: String) -> String {
        let ext = (fileName as NSString).pathExtension.lowercased()
        return !ext.isEmpty && ext.count <= 5 && ext.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } ? ".\(ext)" : ""
    }

    static func planPDF(_ row: StoredPlan, amendments: [PlanAmendment]) throws -> Data {
        let pdf = PDFBuilder(footer: "\(row.title) 认定计划")
        pdf.text(row.title, size: 18, bold: true, align: .center, spacingAfter: 8)
        let p = try row.plan()
        pdf.table(header: ["项目", "内容"], widths: [0.25, 0.75], rows: [
            ["计划编号", row.number], ["状态", row.statusValue.nameZH], ["职业", p.occupationName + (p.workType.map { "（\($0)）" } ?? "")],
            ["等级", p.levels.map { Level($0).fullName }.joined(separator: "、")],
            ["报名时间", "\(p.registrationOpens) 至 \(p.registrationCloses)"],
            ["考试日期", p.examDates.map { "\($0.part.nameZH) \($0.date)" }.joined(separator: "；")], ["考点", p.venues.joined(separator: "、")],
            ["收费（元）", String(p.feeYuan)], ["计划人数", String(p.capacity)], ["说明", p.notes],
        ], rowHeight: 22)
        if !amendments.isEmpty {
            pdf.spacer(12)
            pdf.text("变更公告", size: 13, bold: true, spacingAfter: 4)
            for a in amendments { pdf.text("\(ISO8601DateFormatter().string(from: a.publishedAt))　\(a.summary)", size: 10) }
        }
        return Data(try pdf.finish())
    }

    static func candidatePDF(plan: StoredPlan, application a: StoredApplication, name: String, masked: String, ticket: String?,
                             materials: [[String]], result: ResultRecord?, certificate: CertificateRecord?) throws -> Data {
        let pdf = PDFBuilder(footer: "\(plan.title) 个人档案")
        pdf.text("考生个人档案", size: 18, bold: true, align: .center, spacingAfter: 8)
        func score(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "—" }
        pdf.table(header: ["项目", "内容"], widths: [0.25, 0.75], rows: [
            ["姓名", name], ["证件号码", masked], ["准考证号", ticket ?? "—"], ["单位", a.employer], ["申报等级", Level(a.level).fullName],
            ["资格审核", a.statusValue.nameZH + (a.decisionReason.map { "（\($0)）" } ?? "")],
            ["成绩", result.map { "理论 \(score($0.theory))　技能 \(score($0.skills))　评审 \(score($0.review))　\($0.verdict == "passed" ? "合格" : $0.verdict)" } ?? "—"],
            ["证书", certificate.map { "\($0.number)（\($0.issueDate)，\($0.status)）" } ?? "—"],
        ], rowHeight: 22)
        pdf.spacer(12)
        pdf.text("报名材料", size: 13, bold: true, spacingAfter: 4)
        pdf.table(header: ["材料", "原文件名", "档案内位置"], widths: [0.25, 0.35, 0.4], rows: materials.isEmpty ? [["无", "", ""]] : materials, size: 9)
        return Data(try pdf.finish())
    }
}
