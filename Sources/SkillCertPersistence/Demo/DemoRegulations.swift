import FluentKit
import Foundation
import SkillCertCore

extension DemoData {
    /// The six rule documents every body keeps, as short sample texts (labelled 示例); 实施细则 has an earlier
    /// version as history. Returns how many documents were created.
    static func loadRegulations(on db: any Database, time: any TimeSource) async throws -> Int {
        let actor = AuditActor.system("demo")
        let today = time.now().chinaLocalDate
        let documents: [(title: String, isPublic: Bool, settings: [SettingKey], text: String)] = [
            ("职业技能等级认定工作实施细则（示例）", true, [.publicityWorkingDays, .reviewRequestWorkingDays, .reviewAnswerWorkingDays, .passMark],
             "示例数据。第一条 本细则依据国家职业技能等级认定有关规定制定。\n第二条 认定结果公示期不少于 5 个工作日；考生可在成绩发布后规定期限内申请复核。"),
            ("考评员管理办法（示例）", false, [.appointmentTermYears, .scoreSpreadThreshold],
             "示例数据。考评员实行聘任制，聘期届满重新考核；执行考评任务实行回避制度。"),
            ("考务管理规定（示例）", true, [.materialMaxKB, .photoMaxKB],
             "示例数据。考场设置、准考证发放、考场纪律与违纪处理按本规定执行。"),
            ("证书管理办法（示例）", true, [],
             "示例数据。证书由证书管理部门统一编号、制作和发放，补发证书沿用原编号。"),
            ("保密工作制度（示例）", false, [],
             "示例数据。试题、试卷及评分标准属于保密材料，接触人员签订保密承诺书。"),
            ("申诉与投诉处理办法（示例）", true, [.complaintAnswerWorkingDays],
             "示例数据。对认定结果或工作人员行为有异议的，可通过网上表单或书面提出；本机构自受理之日起 15 个工作日内答复。"),
        ]
        for d in documents {
            let r = try await RegulationStore.create(title: d.title, isPublic: d.isPublic, settingKeys: d.settings.map(\.rawValue),
                                                     actor: actor, on: db, time: time)
            if d.title.hasPrefix("职业技能等级认定工作实施细则") {
                try await RegulationStore.addVersion(to: r.requireID(), label: "\(today.year - 1) 年版（示例）", effectiveOn: today.adding(days: -400).description,
                                                     text: "示例数据。（已被新版本替代）", attachment: nil, files: NoAttachments(),
                                                     actor: actor, on: db, time: time)
            }
            try await RegulationStore.addVersion(to: r.requireID(), label: "\(today.year) 年版（示例）", effectiveOn: today.adding(days: -30).description,
                                                 text: d.text, attachment: nil, files: NoAttachments(), actor: actor, on: db, time: time)
        }
        return documents.count
    }

    /// The sample documents have no attachments.
    private struct NoAttachments: FileStore {
        func put(_ data: Data) async throws -> String { throw FileStoreError.invalidKey("demo") }
        func get(_ key: String) async throws -> Data? { nil }
    }
}
