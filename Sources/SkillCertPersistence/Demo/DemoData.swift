import FluentKit
import Foundation
import SkillCertCore

/// Sample data for trying the product: a fictional body with two sites and one account per department.
/// Everything it creates is labelled 示例 (sample).
public enum DemoData {
    /// One demo account.
    public struct Account: Sendable {
        public var username: String
        public var displayName: String
        public var roles: Set<Role>
    }

    /// The shared password of the demo staff accounts other than the administrator.
    public static let staffPassword = "Demo-Staff-2026"

    public static let accounts: [Account] = [
        Account(username: "leader", displayName: "王建国（示例·领导小组）", roles: [.leadership]),
        Account(username: "coord", displayName: "李娜（示例·统筹部门）", roles: [.coordination]),
        Account(username: "exams", displayName: "张伟（示例·考务部门）", roles: [.examAffairs]),
        Account(username: "items", displayName: "刘洋（示例·命题与考评部门）", roles: [.itemExaminer]),
        Account(username: "certs", displayName: "陈静（示例·证书管理部门）", roles: [.certificate]),
        Account(username: "quality", displayName: "赵敏（示例·监督与质控部门）", roles: [.supervision]),
        Account(username: "examiner1", displayName: "孙强（示例·考评员）", roles: [.examiner]),
        Account(username: "supervisor1", displayName: "周丽（示例·督导员）", roles: [.supervisor]),
    ]

    /// The sample body: a fictional training-evaluation organisation in Jiangsu with two sites.
    public static let body = CertificationBody(
        type: .trainingOrganisation, code: "0123", name: "江苏示例职业技能评价中心（示例数据）", provinceCode: "32",
        sites: [
            .init(code: "320102", name: "南京玄武认定站点（示例）", address: "江苏省南京市玄武区示例路 1 号"),
            .init(code: "320506", name: "苏州吴中认定站点（示例）", address: "江苏省苏州市吴中区样本大道 88 号"),
        ])

    /// Loads the sample data; idempotent (existing accounts are left alone). Returns what a person needs to sign in.
    public static func load(adminPassword: String, hasher: any PasswordHashing, on db: any Database,
                            time: any TimeSource) async throws -> [String] {
        let actor = AuditActor.system("demo")
        if try await BodyStore.load(on: db) == nil {
            try await BodyStore.save(body, reason: "示例数据", on: db, actor: actor, time: time)
        }
        var lines: [String] = []
        if try await User.query(on: db).filter(\.$username == "admin").first() == nil {
            _ = try await Accounts.create(.init(username: "admin", displayName: "系统管理员（示例）", password: adminPassword,
                                                roles: [.administrator]),
                                          hasher: hasher, on: db, actor: actor, time: time)
            lines.append("administrator: admin / \(adminPassword)")
        } else {
            lines.append("administrator: admin (already existed; password unchanged)")
        }
        for a in accounts where try await User.query(on: db).filter(\.$username == a.username).first() == nil {
            _ = try await Accounts.create(.init(username: a.username, displayName: a.displayName,
                                                password: staffPassword, roles: a.roles),
                                          hasher: hasher, on: db, actor: actor, time: time)
        }
        lines.append("department accounts (\(accounts.map(\.username).joined(separator: ", "))): password \(staffPassword)")
        return lines
    }
}
