import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence

/// The printed papers of one session — the sign-in sheet and the room record — as the session page prints them and
/// the plan's dossier files them: one way to gather them, so the two never differ.
enum SessionDocuments {
    static func signInSheet(_ s: ExamSession, plan: StoredPlan, on db: any Database) async throws -> SignInSheet {
        let rooms = try await SessionStore.rooms(of: s, on: db)
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == s.requireID()).sort(\.$seat).all()
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ seats.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$applicationID ~~ seats.map(\.applicationID)).all()
            .map { ($0.applicationID, $0.number) }, uniquingKeysWith: { a, _ in a })
        return SignInSheet(title: "\(plan.title) · \(Level(s.level).fullName) · \(s.modeValue.part.nameZH)", when: "\(s.heldOn) \(s.slot.timeText)",
                           rooms: rooms.map { room in
                               SignInSheet.Room(name: room.name, lines: seats.filter { $0.roomID == room.id }.map { seat in
                                   let p = profiles[seat.candidateID]
                                   return .init(seat: seat.seat, ticket: tickets[seat.applicationID] ?? "", name: p?.fullName ?? "", maskedID: p?.idNumberMasked ?? "")
                               })
                           })
    }

    /// For each room, the staff, attendance, absences, incidents and inspections, to sign.
    static func roomRecord(_ s: ExamSession, plan: StoredPlan, on db: any Database) async throws -> RoomRecord {
        let rooms = try await SessionStore.rooms(of: s, on: db)
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == s.requireID()).sort(\.$seat).all()
        let staff = try await StaffAssignment.query(on: db).filter(\.$sessionID == s.requireID()).all()
        let members = Dictionary(try await RegistryMember.query(on: db).filter(\.$userID ~~ staff.map(\.userID)).all().map { ($0.userID, $0.fullName) },
                                 uniquingKeysWith: { a, _ in a })
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ seats.map(\.candidateID)).all().map { ($0.userID, $0.fullName) },
                                  uniquingKeysWith: { a, _ in a })
        let records = try await SkillCertPersistence.SessionRecord.query(on: db).filter(\.$sessionID == s.requireID()).sort(\.$recordedAt).all()
        return RoomRecord(title: "\(plan.title) · \(Level(s.level).fullName) · \(s.modeValue.part.nameZH)（\(s.modeValue.nameZH)）",
                          when: "\(s.heldOn) \(s.slot.timeText)",
                          supervisors: staff.filter { $0.roleValue == .supervisor }.compactMap { members[$0.userID] },
                          rooms: rooms.map { room in
                              let here = seats.filter { $0.roomID == room.id }
                              return RoomRecord.Room(
                                  name: room.name,
                                  staff: staff.filter { $0.roomID == room.id }.map { "\(members[$0.userID] ?? "")（\($0.roleValue.nameZH)）" },
                                  expected: here.count, present: here.filter { $0.attendance == "present" }.count,
                                  absent: here.filter { $0.attendance == "absent" }.map { "\($0.seat) 号 \(profiles[$0.candidateID] ?? "")" })
                          },
                          events: records.map { r in
                              "\(r.kind == "incident" ? "违纪" : "督导检查")：\(r.text)\(r.candidateID.flatMap { profiles[$0] }.map { "（考生：\($0)）" } ?? "")\(r.decision.map { "；处理：\($0)" } ?? "")"
                          })
    }
}
