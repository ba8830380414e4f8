import FluentKit
import Foundation
import SkillCertCore

/// One run of the item analysis of a paper (试卷质量分析), kept with the figures it produced.
public final class PaperAnalysisRecord: Model, @unchecked Sendable {
    public static let schema = "paper_analyses"

    @ID(key: .id) public var id: UUID?
    @Field(key: "paper_id") public var paperID: UUID
    @Field(key: "computed_at") public var computedAt: Date
    @OptionalField(key: "computed_by") public var computedBy: UUID?
    @Field(key: "candidates") public var candidates: Int
    @Field(key: "mean_total") public var meanTotal: Double
    @Field(key: "sd_total") public var sdTotal: Double
    @OptionalField(key: "kr20") public var kr20: Double?
    @OptionalField(key: "alpha") public var alpha: Double?
    /// Items with at least one flag.
    @Field(key: "flagged") public var flagged: Int
    /// `PaperAnalysisStore.Report` as JSON: the figures and where each item sits on the paper (no item content).
    @Field(key: "report") public var report: String

    public init() {}

    public func decoded() throws -> PaperAnalysisStore.Report {
        try JSONDecoder().decode(PaperAnalysisStore.Report.self, from: Data(report.utf8))
    }
}

/// The body's conclusions and improvements for one plan's 总结评估 (the figures are worked out when shown).
public final class BatchReportRecord: Model, @unchecked Sendable {
    public static let schema = "batch_reports"

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "conclusions") public var conclusions: String
    @Field(key: "improvements") public var improvements: String
    @OptionalField(key: "updated_by") public var updatedBy: UUID?
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

struct CreateQuality: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(PaperAnalysisRecord.schema)
            .id()
            .field("paper_id", .uuid, .required, .references(StoredPaper.schema, .id))
            .field("computed_at", .datetime, .required)
            .field("computed_by", .uuid)
            .field("candidates", .int, .required)
            .field("mean_total", .double, .required)
            .field("sd_total", .double, .required)
            .field("kr20", .double)
            .field("alpha", .double)
            .field("flagged", .int, .required)
            .field("report", .string, .required)
            .create()
        try await db.schema(BatchReportRecord.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("conclusions", .string, .required)
            .field("improvements", .string, .required)
            .field("updated_by", .uuid)
            .field("updated_at", .datetime, .required)
            .unique(on: "plan_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(BatchReportRecord.schema).delete()
        try await db.schema(PaperAnalysisRecord.schema).delete()
    }
}
