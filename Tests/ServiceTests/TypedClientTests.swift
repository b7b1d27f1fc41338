import Foundation
import OpenAPIRuntime
import QuantForgeClient
@testable import Service
import Testing

/// The generated client against the router: a user's way through accounts, strategies and
/// their versions, datasets, training jobs and evaluations, each answer decoded into the
/// document's types (which refuse undocumented keys), and the documented refusals arriving as
/// their typed cases.
@Suite struct TypedClientTests {
    static func client(_ api: TestAPI.Harness, _ token: BearerToken) -> Client {
        Client(serverURL: URL(string: "http://router")!, transport: RouterTransport(client: api.client), middlewares: [token])
    }

    @Test func theGeneratedClientWalksTheAPI() async throws {
        try await TestAPI.with("typed_client") { api in
            let token = BearerToken()
            let client = Self.client(api, token)
            #expect(try await client.getHealth().ok.body.json.data.status == .ok)

            let user = try await client.register(body: .json(.init(email: "typed@example.com", fullName: "Ty Ped", password: "correct-horse-42",
                                                                   username: "typed"))).created.body.json.data
            #expect(user.username == "typed" && user.fullName == "Ty Ped" && !user.isSuperuser)
            // A documented refusal arrives as its case, with the error envelope typed.
            guard case .conflict(let taken) = try await client.register(body: .json(.init(email: "other@example.com", password: "correct-horse-42",
                                                                                         username: "typed"))) else {
                Issue.record("a taken username is a 409"); return
            }
            #expect(try taken.body.json.error.details.map(\.field) == ["username"])
            let session = try await client.login(body: .json(.init(password: "correct-horse-42", username: "typed"))).ok.body.json.data
            #expect(session.tokenType == .bearer && session.user?.id == user.id && session.expiresIn > 0)
            guard case .unauthorized = try await client.getCurrentUser() else { Issue.record("no token: 401"); return }
            token.value = session.accessToken
            #expect(try await client.getCurrentUser().ok.body.json.data.email == "typed@example.com")

            // Strategies and their versions.
            let created = try await client.createStrategy(body: .json(.init(
                config: try OpenAPIObjectContainer(unvalidatedValue: ["rule": "sma_cross"]), name: "typed SMA",
                parameters: try OpenAPIObjectContainer(unvalidatedValue: ["fast": 10, "slow": 30]), strategyType: .algorithmicTrading,
                tags: ["typed"]))).created.body.json.data
            #expect(created.version == "1.0.0" && created.status == .draft && created.tags == ["typed"] && created.performance.sharpeRatio == nil)
            let updated = try await client.updateStrategy(path: .init(id: created.id), body: .json(.init(
                parameters: try OpenAPIObjectContainer(unvalidatedValue: ["fast": 5, "slow": 30]), versionBump: .minor))).ok.body.json.data
            #expect(updated.version == "1.1.0")
            let versions = try await client.listStrategyVersions(path: .init(id: created.id), query: .init(sort: "-version")).ok.body.json.data
            #expect(versions.items.map(\.version) == ["1.1.0", "1.0.0"] && versions.total == 2)
            let page = try await client.listStrategies(query: .init(size: 5, sort: "-created_at", status: .draft)).ok.body.json.data
            #expect(page.items.map(\.id) == [created.id] && page.size == 5 && page.pages == 1)
            guard case .badRequest(let bad) = try await client.listStrategies(query: .init(sort: "password")) else {
                Issue.record("an unsortable column is a 400"); return
            }
            #expect(try bad.body.json.error.details.map(\.field) == ["sort"])
            #expect(try await client.startStrategy(path: .init(id: created.id)).ok.body.json.data.status == .active)
            guard case .conflict = try await client.deleteStrategy(path: .init(id: created.id)) else { Issue.record("an active strategy is not deleted"); return }
            guard case .notFound = try await client.getStrategy(path: .init(id: 999_999)) else { Issue.record("someone else's id is a 404"); return }

            // A dataset, a training job and an evaluation on it.
            let datasetID = try await TrainingJobTests.readyDataset(api, session.accessToken)
            let dataset = try await client.getDataset(path: .init(id: datasetID)).ok.body.json.data
            #expect(dataset.status == .ready && (dataset.rowCount ?? 0) > 0)
            let listed = try await client.listDatasets(query: .init(status: .ready)).ok.body.json.data
            #expect(listed.items.map(\.id) == [datasetID])
            let job = try await client.createTrainingJob(body: .json(.init(
                config: try OpenAPIObjectContainer(unvalidatedValue: TrainingJobTests.dqn.mapValues { $0 as? String }), datasetId: datasetID,
                hyperparameters: try OpenAPIObjectContainer(unvalidatedValue: ["epochs": 1]), name: "typed job", strategyId: created.id))).created.body.json.data
            #expect(job.status == .pending && job.celeryTaskId != nil)
            let fetched = try await client.getTrainingJob(path: .init(id: job.id)).ok.body.json.data
            #expect(fetched.status == .pending && fetched.datasetId == datasetID && fetched.strategyId == created.id)
            #expect(try await client.cancelTrainingJob(path: .init(id: job.id)).ok.body.json.data.status == .cancelled)
            let evaluation = try await client.createEvaluation(body: .json(.init(
                config: try OpenAPIObjectContainer(unvalidatedValue: ["grid": ["fast": "5:10:5", "slow": "20:30:10"]]), datasetId: datasetID,
                evaluationType: .backtest, name: "typed grid", strategyId: created.id))).created.body.json.data
            #expect(evaluation.status == .pending && evaluation.shardsTotal >= 1)
            let evaluations = try await client.listEvaluations(query: .init(evaluationType: .backtest)).ok.body.json.data
            #expect(evaluations.items.map(\.id) == [evaluation.id] && evaluations.items[0].charts == nil)
            #expect(try await client.deleteEvaluation(path: .init(id: evaluation.id)).ok.body.json.data.id == evaluation.id)

            #expect(try await client.logout().ok.body.json.data.revoked == true)
            guard case .unauthorized = try await client.getCurrentUser() else { Issue.record("a revoked session is a 401"); return }
        }
    }
}
