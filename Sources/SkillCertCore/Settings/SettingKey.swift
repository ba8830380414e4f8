/// A rule the body may change. Each key ships the default from `shared/domain.md`.
public enum SettingKey: String, CaseIterable, Sendable {
    case loginMaxFailures = "login.max-failures"
    case loginLockMinutes = "login.lock-minutes"
    case sessionHours = "session.hours"
    case publicityWorkingDays = "publicity.working-days"
    case reviewRequestWorkingDays = "review.request-working-days"
    case reviewAnswerWorkingDays = "review.answer-working-days"
    case provinceReportWorkingDays = "province-report.working-days"
    case scoreSpreadThreshold = "scoring.spread-threshold"
    case scoringTrimmedMean = "scoring.trimmed-mean"
    case passMark = "results.pass-mark"
    case appointmentTermYears = "appointment.term-years"
    case materialMaxKB = "upload.material-max-kb"
    case photoMaxKB = "upload.photo-max-kb"
    case retentionMaterialsYears = "retention.application-materials-years"
    case retentionAnswersYears = "retention.exam-answers-years"
    case complaintAnswerWorkingDays = "complaints.answer-working-days"
    case examinerSeverityThreshold = "quality.examiner-severity"

    /// The shipped default.
    public var defaultValue: Int {
        switch self {
        case .loginMaxFailures: 5
        case .loginLockMinutes: 15
        case .sessionHours: 12
        case .publicityWorkingDays: 5
        case .reviewRequestWorkingDays: 10
        case .reviewAnswerWorkingDays: 10
        case .provinceReportWorkingDays: 10
        case .scoreSpreadThreshold: 10
        case .scoringTrimmedMean: 0
        case .passMark: 60
        case .appointmentTermYears: 3
        case .materialMaxKB: 5120
        case .photoMaxKB: 300
        // Electronic records at least 5 years; used papers and answers at least 1 year after certificates (domain.md, Archives).
        case .retentionMaterialsYears: 5
        case .retentionAnswersYears: 1
        case .complaintAnswerWorkingDays: 15
        case .examinerSeverityThreshold: 5
        }
    }

    /// The values an administrator may choose.
    public var allowedRange: ClosedRange<Int> {
        switch self {
        case .loginMaxFailures: 3...20
        case .loginLockMinutes: 1...1440
        case .sessionHours: 1...72
        case .publicityWorkingDays: 5...30
        case .reviewRequestWorkingDays, .reviewAnswerWorkingDays, .provinceReportWorkingDays: 1...60
        case .scoreSpreadThreshold: 1...50
        case .scoringTrimmedMean: 0...1
        case .passMark: 1...100
        case .appointmentTermYears: 1...10
        case .materialMaxKB: 100...51_200
        case .photoMaxKB: 20...2048
        case .retentionMaterialsYears: 1...30
        case .retentionAnswersYears: 1...30
        case .complaintAnswerWorkingDays: 1...60
        case .examinerSeverityThreshold: 1...30
        }
    }

    public var labelZH: String {
        switch self {
        case .loginMaxFailures: "连续登录失败锁定次数"
        case .loginLockMinutes: "账号锁定时长（分钟）"
        case .sessionHours: "登录会话有效期（小时）"
        case .publicityWorkingDays: "公示期（工作日）"
        case .reviewRequestWorkingDays: "复核申请期限（成绩发布后工作日）"
        case .reviewAnswerWorkingDays: "复核答复期限（工作日）"
        case .provinceReportWorkingDays: "公示结束后报省期限（工作日）"
        case .scoreSpreadThreshold: "评分差异仲裁阈值（分）"
        case .scoringTrimmedMean: "技能评分去掉最高分和最低分（5 名及以上考评员时；1 是，0 否）"
        case .passMark: "各部分合格分数线"
        case .appointmentTermYears: "考评员/督导员聘期（年）"
        case .materialMaxKB: "报名材料单个文件大小上限（KB）"
        case .photoMaxKB: "考生照片大小上限（KB）"
        case .retentionMaterialsYears: "报名材料文件保存期限（证书发放后年数）"
        case .retentionAnswersYears: "考生作答数据保存期限（证书发放后年数）"
        case .complaintAnswerWorkingDays: "申诉与投诉答复期限（受理后工作日）"
        case .examinerSeverityThreshold: "考评员宽严偏差预警阈值（分，偏离评分组均值）"
        }
    }

    public var labelEN: String {
        switch self {
        case .loginMaxFailures: "Failed sign-ins before lockout"
        case .loginLockMinutes: "Lockout duration (minutes)"
        case .sessionHours: "Session lifetime (hours)"
        case .publicityWorkingDays: "Publicity period (working days)"
        case .reviewRequestWorkingDays: "Score-review request window (working days after release)"
        case .reviewAnswerWorkingDays: "Score-review answer deadline (working days)"
        case .provinceReportWorkingDays: "Report to province after publicity (working days)"
        case .scoreSpreadThreshold: "Examiner spread that triggers arbitration (points)"
        case .scoringTrimmedMean: "Drop the highest and lowest examiner score with five or more (1 yes, 0 no)"
        case .passMark: "Pass mark per part"
        case .appointmentTermYears: "Examiner/supervisor appointment term (years)"
        case .materialMaxKB: "Largest application material file (KB)"
        case .photoMaxKB: "Largest candidate photo (KB)"
        case .retentionMaterialsYears: "Keep application material files (years after certificates)"
        case .retentionAnswersYears: "Keep exam answer data (years after certificates)"
        case .complaintAnswerWorkingDays: "Complaint answer deadline (working days after intake)"
        case .examinerSeverityThreshold: "Examiner severity warning (points from the panel mean)"
        }
    }
}
