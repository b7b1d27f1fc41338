import Foundation
import HTTPTypes
import PostgresNIO
@testable import Service
import Testing

/// Strategies over HTTP against PostgreSQL: the seed's shapes, versions, lifecycle transitions,
/// ownership, list parameters (and SQL-looking input in them), and reads served by the replica.
@Suite struct StrategyTests {
    static let base = "/api/v1/strategies"

    static func create(_ api: TestAPI.Harness, _ token: String, name: String, type: String = "algorithmic_trading",
                       tags: [String] = [], config: [String: Any] = ["agent": "dqn"]) async throws -> [String: Any] {
        let response = try await api.call(.post, base, json: ["name": name, "description": "desc of \(name)", "strategy_type": type,
                                                              "config": config, "parameters": ["lr": 0.001], "tags": tags], token: token)
        guard response.status == .created else { throw TestFailure("create \(name): \(response.status) \(response.body)") }
        return response.body.data
    }

    @Test func createGetUpdateAndDeleteInTheSeedsShape() async throws {
        try await TestAPI.with("strategies_crud") { api in
            let (token, _, userID) = try await api.signUp("quant")
            let created = try await Self.create(api, token, name: "Momentum", tags: ["btc", "daily"], config: ["agent": "dqn", "epochs": 10])
            let id = created["id"] as? Int ?? 0
            #expect(created["status"] as? String == "draft" && created["version"] as? String == "1.0.0" && created["owner_id"] as? Int == userID)
            #expect(created["strategy_type"] as? String == "algorithmic_trading" && created["tags"] as? [String] == ["btc", "daily"])
            let performance = created["performance"] as? [String: Any] ?? [:]
            #expect(Set(performance.keys) == ["total_return", "sharpe_ratio", "max_drawdown", "win_rate"] && performance["total_return"] is NSNull)
            #expect((created["config"] as? [String: Any])?["epochs"] as? Int == 10)
            #expect(created["created_at"] as? String != nil && created["updated_at"] as? String != nil)

            let got = try await api.call(.get, "\(Self.base)/\(id)", token: token)
            #expect(got.status == .ok && got.body.data["name"] as? String == "Momentum")

            // Performance written by a run shows in the block.
            try await api.sql.query("UPDATE strategies SET total_return = 15.5, sharpe_ratio = 1.8, max_drawdown = -5.2, win_rate = 55.25 WHERE id = \(id)",
                                    logger: TestDatabase.logger)
            let measured = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data["performance"] as? [String: Double]
            #expect(measured == ["total_return": 15.5, "sharpe_ratio": 1.8, "max_drawdown": -5.2, "win_rate": 55.25])

            // Name and tags only: no new version. Config: a minor bump. Parameters alone: a patch.
            let renamed = try await api.call(.put, "\(Self.base)/\(id)", json: ["name": "Momentum v2", "tags": ["btc"], "description": NSNull()], token: token)
            #expect(renamed.status == .ok && renamed.body.data["version"] as? String == "1.0.0" && renamed.body.data["description"] is NSNull)
            let config = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": "ppo"], "changelog": "switch to PPO"], token: token)
            #expect(config.body.data["version"] as? String == "1.1.0" && (config.body.data["config"] as? [String: String]) == ["agent": "ppo"])
            let parameters = try await api.call(.put, "\(Self.base)/\(id)", json: ["parameters": ["lr": 0.0003]], token: token)
            #expect(parameters.body.data["version"] as? String == "1.1.1")
            let major = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": "a2c"], "version_bump": "major"], token: token)
            #expect(major.body.data["version"] as? String == "2.0.0")
            let same = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": "a2c"]], token: token)
            #expect(same.body.data["version"] as? String == "2.0.0", "an unchanged config makes no version")

            let bad = try await api.call(.put, "\(Self.base)/\(id)", json: ["status": "active", "strategy_type": "order_execution", "config": [1],
                                                                            "version_bump": "huge", "name": ""], token: token)
            #expect(bad.status == .badRequest && Set(bad.body.errorFields) == ["status", "strategy_type", "config", "version_bump", "name"])
            let badCreate = try await api.call(.post, Self.base, json: ["strategy_type": "arbitrage", "tags": [1, ""], "performance": [:]], token: token)
            #expect(badCreate.status == .badRequest && Set(badCreate.body.errorFields) == ["name", "strategy_type", "tags[0]", "tags[1]", "performance"])

            #expect(try await api.call(.delete, "\(Self.base)/\(id)", token: token).status == .ok)
            #expect(try await api.call(.get, "\(Self.base)/\(id)", token: token).status == .notFound)
            let versionsLeft = try await AuthTests.text(api.sql, "SELECT count(*)::text FROM strategy_versions WHERE strategy_id = \(id)")
            #expect(versionsLeft == "0")
            #expect(try await api.call(.get, "\(Self.base)/abc", token: token).status == .notFound)
            #expect(try await api.call(.get, Self.base).status == .unauthorized)
        }
    }

    @Test func versionsAreListedAndAnOlderOneCanBeActivated() async throws {
        try await TestAPI.with("strategies_versions") { api in
            let (token, _, userID) = try await api.signUp("versioner")
            let id = try await Self.create(api, token, name: "Versions")["id"] as? Int ?? 0
            for agent in ["ppo", "a2c"] { _ = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": agent]], token: token) }
            // Nine more minor versions, so numbering passes 1.9.0 → 1.10.0 and sorting must be numeric.
            for n in 0..<9 { _ = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": "dqn", "n": n]], token: token) }
            let page = try await api.call(.get, "\(Self.base)/\(id)/versions?size=3&sort=-version", token: token)
            let items = page.body.data["items"] as? [[String: Any]] ?? []
            #expect(page.status == .ok && page.body.data["total"] as? Int == 12 && page.body.data["pages"] as? Int == 4)
            #expect(items.map { $0["version"] as? String } == ["1.11.0", "1.10.0", "1.9.0"])
            #expect(items.first?["is_active"] as? Bool == true && items.dropFirst().allSatisfy { $0["is_active"] as? Bool == false })
            #expect(items.first?["created_by"] as? Int == userID)
            let first = try await api.call(.get, "\(Self.base)/\(id)/versions?sort=version&size=1", token: token).body.data["items"] as? [[String: Any]]
            #expect(first?.first?["changelog"] as? String == "Initial version")

            let activated = try await api.call(.post, "\(Self.base)/\(id)/versions/1.1.0/activate", token: token)
            #expect(activated.status == .ok && activated.body.data["version"] as? String == "1.1.0")
            #expect((activated.body.data["config"] as? [String: String]) == ["agent": "ppo"])
            let active = try await AuthTests.text(api.sql, "SELECT string_agg(version, ',') FROM strategy_versions WHERE strategy_id = \(id) AND is_active")
            #expect(active == "1.1.0")
            // The next edit numbers after the highest version, not after the active one.
            let next = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": "reinforce"]], token: token)
            #expect(next.body.data["version"] as? String == "1.12.0")
            #expect(try await api.call(.post, "\(Self.base)/\(id)/versions/7.7.7/activate", token: token).status == .notFound)
            #expect(try await api.call(.post, "\(Self.base)/\(id)/versions/latest/activate", token: token).status == .badRequest)
        }
    }

    @Test func startAndStopFollowTheAllowedTransitions() async throws {
        try await TestAPI.with("strategies_lifecycle") { api in
            let (token, _, _) = try await api.signUp("runner")
            let id = try await Self.create(api, token, name: "Runner")["id"] as? Int ?? 0
            let stopDraft = try await api.call(.post, "\(Self.base)/\(id)/stop", token: token)
            #expect(stopDraft.status == .conflict && stopDraft.body.error["type"] as? String == "conflict")
            #expect((stopDraft.body.error["message"] as? String ?? "").contains("draft"))
            let started = try await api.call(.post, "\(Self.base)/\(id)/start", token: token)
            #expect(started.status == .ok && started.body.data["status"] as? String == "active")
            #expect(try await api.call(.post, "\(Self.base)/\(id)/start", token: token).status == .conflict, "already active")
            #expect(try await api.call(.delete, "\(Self.base)/\(id)", token: token).status == .conflict, "a running strategy is not deleted")
            let stopped = try await api.call(.post, "\(Self.base)/\(id)/stop", token: token)
            #expect(stopped.status == .ok && stopped.body.data["status"] as? String == "stopped")
            #expect(try await api.call(.post, "\(Self.base)/\(id)/stop", token: token).status == .conflict)
            #expect(try await api.call(.post, "\(Self.base)/\(id)/start", token: token).body.data["status"] as? String == "active", "a stopped strategy restarts")
            try await api.sql.query("UPDATE strategies SET status = 'paused' WHERE id = \(id)", logger: TestDatabase.logger)
            #expect(try await api.call(.post, "\(Self.base)/\(id)/stop", token: token).status == .ok, "paused → stopped")
            try await api.sql.query("UPDATE strategies SET status = 'error' WHERE id = \(id)", logger: TestDatabase.logger)
            #expect(try await api.call(.post, "\(Self.base)/\(id)/start", token: token).status == .ok, "error → active")
        }
    }

    @Test func clonesAreNewDraftsOwnedByTheCaller() async throws {
        try await TestAPI.with("strategies_clone") { api in
            let (owner, _, ownerID) = try await api.signUp("author")
            let (admin, _, adminID) = try await api.signUp("admin", superuser: true)
            let original = try await Self.create(api, owner, name: "Original", tags: ["x"])
            let id = original["id"] as? Int ?? 0
            _ = try await api.call(.put, "\(Self.base)/\(id)", json: ["config": ["agent": "ppo"]], token: owner)
            _ = try await api.call(.post, "\(Self.base)/\(id)/start", token: owner)
            let clone = try await api.call(.post, "\(Self.base)/\(id)/clone", token: owner)
            #expect(clone.status == .created && clone.body.data["name"] as? String == "Original (copy)" && clone.body.data["parent_strategy_id"] as? Int == id)
            #expect(clone.body.data["status"] as? String == "draft" && clone.body.data["version"] as? String == "1.0.0")
            #expect((clone.body.data["config"] as? [String: String]) == ["agent": "ppo"] && clone.body.data["tags"] as? [String] == ["x"])
            let named = try await api.call(.post, "\(Self.base)/\(id)/clone", json: ["name": "Admin's copy"], token: admin)
            #expect(named.status == .created && named.body.data["owner_id"] as? Int == adminID && named.body.data["name"] as? String == "Admin's copy")
            #expect(ownerID != adminID)
            // The original goes; its clones stay, unparented.
            _ = try await api.call(.post, "\(Self.base)/\(id)/stop", token: owner)
            #expect(try await api.call(.delete, "\(Self.base)/\(id)", token: owner).status == .ok)
            let orphan = try await api.call(.get, "\(Self.base)/\(clone.body.data["id"] as? Int ?? 0)", token: owner)
            #expect(orphan.status == .ok && orphan.body.data["parent_strategy_id"] is NSNull)
        }
    }

    @Test func ownersSeeOnlyTheirOwnAndSuperusersSeeAll() async throws {
        try await TestAPI.with("strategies_owners") { api in
            let (alice, _, aliceID) = try await api.signUp("alice")
            let (bob, _, _) = try await api.signUp("bob")
            let (root, _, _) = try await api.signUp("root", superuser: true)
            let mine = try await Self.create(api, alice, name: "Alice's")["id"] as? Int ?? 0
            _ = try await Self.create(api, bob, name: "Bob's")
            // Bob cannot see, change, run, clone, version or delete Alice's strategy: it does not exist for him.
            for (method, path, body) in [(HTTPRequest.Method.get, "", nil), (.put, "", ["name": "mine now"]), (.delete, "", nil),
                                         (.post, "/start", nil), (.post, "/clone", nil), (.get, "/versions", nil),
                                         (.post, "/versions/1.0.0/activate", nil)] as [(HTTPRequest.Method, String, [String: Any]?)] {
                let response = try await api.call(method, "\(Self.base)/\(mine)\(path)", json: body, token: bob)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let bobsList = try await api.call(.get, Self.base, token: bob)
            #expect((bobsList.body.data["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Bob's"])
            let all = try await api.call(.get, "\(Self.base)/?sort=name", token: root)
            #expect((all.body.data["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Alice's", "Bob's"])
            let onlyAlice = try await api.call(.get, "\(Self.base)?owner_id=\(aliceID)", token: root)
            #expect(onlyAlice.body.data["total"] as? Int == 1)
            #expect(try await api.call(.put, "\(Self.base)/\(mine)", json: ["name": "Renamed by root"], token: root).status == .ok)
            let unchanged = try await AuthTests.text(api.sql, "SELECT name FROM strategies WHERE id = \(mine)")
            #expect(unchanged == "Renamed by root")
        }
    }

    @Test func listsPageFilterSearchAndSortSafely() async throws {
        try await TestAPI.with("strategies_list") { api in
            let (token, _, _) = try await api.signUp("lister")
            for n in 0..<25 {
                _ = try await Self.create(api, token, name: String(format: "S%02d%@", n, n == 7 ? " 100%_done" : ""),
                                          type: n % 5 == 0 ? "portfolio_management" : "algorithmic_trading", tags: n % 2 == 0 ? ["even", "t"] : ["odd", "t"])
            }
            let first = try await api.call(.get, "\(Self.base)?page=1&size=10&sort=name", token: token)
            let names = (first.body.data["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(first.body.data["total"] as? Int == 25 && first.body.data["pages"] as? Int == 3 && first.body.data["size"] as? Int == 10)
            #expect(names.count == 10 && names.first == "S00" && names.last == "S09")
            let last = try await api.call(.get, "\(Self.base)?page=3&size=10", token: token)
            #expect((last.body.data["items"] as? [Any])?.count == 5)
            let beyond = try await api.call(.get, "\(Self.base)?page=9&size=10", token: token)
            #expect((beyond.body.data["items"] as? [Any])?.isEmpty == true && beyond.body.data["total"] as? Int == 25)
            let defaultOrder = try await api.call(.get, Self.base, token: token)
            let newest = (defaultOrder.body.data["items"] as? [[String: Any]])?.first?["name"] as? String
            #expect(defaultOrder.body.data["size"] as? Int == 20 && newest == "S24", "default sort is -created_at")

            let portfolios = try await api.call(.get, "\(Self.base)?type=portfolio_management", token: token)
            #expect(portfolios.body.data["total"] as? Int == 5)
            // The total rides on the page's rows; a page past the end still knows it.
            let pastEnd = try await api.call(.get, "\(Self.base)?type=portfolio_management&page=2&size=10", token: token)
            #expect((pastEnd.body.data["items"] as? [Any])?.isEmpty == true && pastEnd.body.data["total"] as? Int == 5)
            let partial = try await api.call(.get, "\(Self.base)?type=portfolio_management&page=2&size=3&sort=name", token: token)
            #expect((partial.body.data["items"] as? [Any])?.count == 2 && partial.body.data["total"] as? Int == 5)
            let evenTagged = try await api.call(.get, "\(Self.base)?tags=even,t&status=draft", token: token)
            #expect(evenTagged.body.data["total"] as? Int == 13)
            // search is literal: % and _ match themselves.
            let literal = try await api.call(.get, "\(Self.base)?search=100%25_d", token: token)
            #expect(literal.body.data["total"] as? Int == 1)
            let wildcard = try await api.call(.get, "\(Self.base)?search=%25", token: token)
            #expect(wildcard.body.data["total"] as? Int == 1, "only the name that contains a % character")

            // SQL-looking input is data (search) or a named 400 (sort, filters), never SQL.
            let injection = try await api.call(.get, "\(Self.base)?search=%27%20OR%201%3D1%20--", token: token)
            #expect(injection.status == .ok && injection.body.data["total"] as? Int == 0)
            for (query, field) in [("sort=name;DROP%20TABLE%20users", "sort"), ("sort=-created_at,(select%201)", "sort"),
                                   ("type=x%27%20OR%20%271%27=%271", "type"), ("status=active%27--", "status"), ("size=1000", "size"),
                                   ("page=0", "page"), ("owner_id=1%20OR%201=1", "owner_id"), ("colour=red", "colour")] {
                let response = try await api.call(.get, "\(Self.base)?\(query)", token: token)
                #expect(response.status == .badRequest && response.body.errorFields == [field], "\(query)")
            }
            let users = try await AuthTests.text(api.sql, "SELECT count(*)::text FROM users")
            #expect(users == "1")
        }
    }

    @Test func listAndDetailReadsComeFromTheReplica() async throws {
        try await TestAPI.with("strategies_replica", separateReplica: true) { api in
            let (token, _, userID) = try await api.signUp("reader")
            guard let replica = api.replicaSQL else { Issue.record("no replica"); return }
            // The replica holds a different row than the primary, so the answer shows who served it.
            try await replica.query("INSERT INTO users (id, username, email, hashed_password) VALUES (\(userID), 'reader', 'reader@example.com', 'x')",
                                    logger: TestDatabase.logger)
            try await replica.query("INSERT INTO strategies (id, name, strategy_type, owner_id) VALUES (4242, 'only on the replica', 'order_execution', \(userID))",
                                    logger: TestDatabase.logger)
            let created = try await Self.create(api, token, name: "written to the primary")
            let list = try await api.call(.get, Self.base, token: token)
            #expect((list.body.data["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["only on the replica"])
            #expect(try await api.call(.get, "\(Self.base)/4242", token: token).status == .ok)
            // Writes and the reads inside them use the primary.
            let id = created["id"] as? Int ?? 0
            #expect(try await api.call(.post, "\(Self.base)/\(id)/start", token: token).status == .ok)
            #expect(try await api.call(.post, "\(Self.base)/4242/start", token: token).status == .notFound)
        }
    }
}
