import FluentKit

/// Every migration, in the order it shipped. Never edit one that has shipped: add a new one.
public enum SkillCertMigrations {
    public static var all: [any Migration] {
        [
            CreateUsers(),
            CreateUserRoles(),
            CreateAuthSessions(),
            CreateBody(),
            CreateSettings(),
            CreateAuditEntries(),
            CreateAuditAppendOnlyTriggers(),
            CreateCalendarDays(),
            SeedHolidayCalendar(),
            CreateStandards(),
            SeedShippedStandards(),
            CreateItemBank(),
            CreatePlans(),
            CreateCandidates(),
            CreateApplications(),
            UpdateRegistrationAddMaterials(),
            CreateExamAffairs(),
            CreateExamAttempts(),
            CreatePaperScores(),
            CreateScoring(),
            CreateResults(),
            CreateCertificates(),
            CreateQuality(),
            CreateComplaints(),
            CreateRegulations(),
            CreateRetention(),
            CreateCertificateReservations(),
        ]
    }
}
