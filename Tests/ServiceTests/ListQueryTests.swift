@testable import Service
import Testing

/// List parameters: defaults, the whitelist for sorting and filtering, and 400s naming the field
/// for everything else — SQL-looking input included.
@Suite struct ListQueryTests {
    static let sortable: Set<String> = ["created_at", "name", "updated_at"]

    func parse(_ parameters: [(String, String)]) throws -> ListQuery {
        try ListQuery.parse(parameters, sortable: Self.sortable, filterable: ["status", "type"])
    }

    func fields(_ parameters: [(String, String)]) -> [String] {
        do {
            _ = try parse(parameters)
            return []
        } catch let error as APIError {
            #expect(error.status == .badRequest && error.type == "validation_error")
            return error.details.map(\.field)
        } catch { return ["unexpected \(error)"] }
    }

    @Test func defaultsAndAFullQuery() throws {
        let empty = try parse([])
        #expect(empty.page == 1 && empty.size == 20 && empty.offset == 0 && empty.orderBy == "created_at DESC, id ASC")
        let q = try parse([("page", "3"), ("size", "50"), ("sort", "-updated_at,name"), ("search", "momentum"), ("status", "active")])
        #expect(q.offset == 100 && q.size == 50 && q.search == "momentum" && q.filters == ["status": "active"])
        #expect(q.orderBy == "updated_at DESC, name ASC, id ASC")
    }

    @Test func everyBadParameterIsNamed() {
        #expect(fields([("page", "0")]) == ["page"])
        #expect(fields([("page", "two")]) == ["page"])
        #expect(fields([("size", "101")]) == ["size"])
        #expect(fields([("size", "-1"), ("page", "1.5")]) == ["size", "page"])
        #expect(fields([("search", String(repeating: "a", count: 201))]) == ["search"])
        #expect(fields([("owner", "7")]) == ["owner"], "unknown filters are refused, not ignored")
        #expect(fields([("page", "1"), ("page", "2")]) == ["page"])
    }

    @Test func sqlLookingSortsNeverReachTheOrderBy() {
        for attack in ["name; DROP TABLE users", "-created_at desc", "(SELECT 1)", "name--", "id", ""] {
            #expect(fields([("sort", attack)]) == ["sort"], "\(attack)")
        }
    }
}
