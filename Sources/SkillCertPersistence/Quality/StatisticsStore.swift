import FluentKit
import Foundation
import SkillCertCore
import SQLKit

/// Counts and pass rates of released results (统计分析): one grouped read of the results with each candidate's
/// employer and site, labelled with occupation, level, plan, site, employer and period for `PassRates`.
public enum StatisticsStore {
    public struct Filter: Sendable, Equatable {
        public var planID: UUID?
        public var level: Int?
        /// Released on or after / on or before.
        public var from: LocalDate?
        public var to: LocalDate?

        public init(planID: UUID? = nil, level: Int? = nil, from: LocalDate? = nil, to: LocalDate? = nil) {
            self.planID = planID
            self.level = level
            self.from = from
            self.to = to
        }
    }

    /// Released results counted by verdict and every dimension. Results not yet released are not statistics.
    public static func outcomes(_ filter: Filter = .init(), granularity: PassRates.Granularity = .quarter,
                                on db: any Database) async throws -> [PassRates.Outcome] {
        let sql = try db.sql()
        let rows = try await sql.raw("""
            SELECT plan_id, level, verdict, released_on, employer, site, COUNT(*) AS n FROM (
              SELECT r.plan_id, r.level, r.verdict, r.released_on, a.employer,
                (SELECT MIN(e.site_code) FROM \(ident: SeatAssignment.schema) s JOIN \(ident: ExamSession.schema) e ON e.id = s.session_id
                 WHERE s.application_id = r.application_id) AS site
              FROM \(ident: ResultRecord.schema) r JOIN \(ident: StoredApplication.schema) a ON a.id = r.application_id
              WHERE r.released_on IS NOT NULL) x
            GROUP BY plan_id, level, verdict, released_on, employer, site
            """).all()
        let plans = try await StoredPlan.query(on: db).all()
        var planInfo: [UUID: (label: String, occupation: String)] = [:]
        for p in plans {
            guard let plan = try? p.plan() else { continue }
            planInfo[p.id!] = ("\(p.number) \(plan.title)", plan.occupationName + (plan.workType.map { "（\($0)）" } ?? ""))
        }
        let sites = Dictionary((try await BodyStore.load(on: db)?.sites ?? []).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        var outcomes: [PassRates.Outcome] = []
        for row in rows {
            let planID = try row.decode(column: "plan_id", as: UUID.self)
            let level = try row.decode(column: "level", as: Int.self)
            guard let released = LocalDate(iso: try row.decode(column: "released_on", as: String.self)) else { continue }
            if let p = filter.planID, p != planID { continue }
            if let l = filter.level, l != level { continue }
            if let from = filter.from, released < from { continue }
            if let to = filter.to, to < released { continue }
            let site = try row.decode(column: "site", as: String?.self)
            let employer = try row.decode(column: "employer", as: String.self).trimmingCharacters(in: .whitespaces)
            let info = planInfo[planID]
            outcomes.append(PassRates.Outcome(values: [
                .occupation: info?.occupation ?? "—",
                .level: "\(level) \(Level(level).fullName)",
                .plan: info?.label ?? planID.uuidString,
                .site: site.map { code in sites[code].map { "\($0)（\(code)）" } ?? code } ?? "未安排考点",
                .employer: employer.isEmpty ? "（未填写）" : employer,
                .period: granularity.label(released),
            ], verdict: try row.decode(column: "verdict", as: String.self), count: try row.decode(column: "n", as: Int.self)))
        }
        return outcomes
    }
}
