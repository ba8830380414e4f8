import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SkillCertCore
import SkillCertPersistence
import SkillCertWeb
import Vapor

/// `skillcert`: the one executable.
@main
struct SkillCert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skillcert",
        abstract: "技能等级认定管理平台 SkillCert — vocational skill level certification.",
        discussion: "Every subcommand reads DATABASE_URL: postgres://… for PostgreSQL, otherwise a SQLite file (default data/skillcert.sqlite).",
        subcommands: [Serve.self, Migrate.self, Demo.self, AdminCommand.self, AuditCommand.self, CalendarCommand.self,
                      EligibilityCommand.self, StandardsCommand.self, KeysCommand.self, ImportCommand.self, ArchiveCommand.self, BackupCommand.self, RestoreCommand.self,
                      BenchCommand.self])
}
