import Compute
import Foundation
import Testing

/// Training runs are bit-identical across QuantForge's two kernel families (`QF_GEMM=avx2` and
/// `avx512`): every tensor of the checkpoint (networks, optimizer moments, replay, generator) is
/// equal byte for byte after an epoch of DQN and of PPO on TradeMaster's BTC split, each run a
/// `qf train` process of its own (the backend is chosen once per process). Against OpenBLAS,
/// which sums in its own order, only the products' error bound holds (`GemmKernelTests`):
/// training, like any change of summation order, then diverges.
@Suite struct GemmBackendTrainingTests {
    @Test(.enabled(if: GemmKernels.supported == .avx512, "both families run only on an AVX-512 machine (this one runs \(GemmKernels.supported.rawValue))"),
          arguments: ["dqn_btc", "ppo_btc"])
    func anEpochTrainsToTheSameBitsOnBothFamilies(config: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-gemm-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var checkpoints: [SafeTensorsFile] = []
        for family in [GemmBackend.avx2, .avx512] {
            let out = "\(dir)/\(family.rawValue)"
            let run = await (try ProcessRunner.start(["train", "--config", "configs/algorithmic_trading/\(config).json", "--epochs", "1", "--out", out],
                                                     environment: ["QF_SHARED_DIR": SharedData.directory, "QF_GEMM": family.rawValue]))()
            try #require(run.status == 0, "\(family): \(run.output)")
            checkpoints.append(try SafeTensorsFile(contentsOf: "\(out)/checkpoint.safetensors"))
        }
        let (avx2, avx512) = (checkpoints[0], checkpoints[1])
        #expect(Set(avx2.entries.keys) == Set(avx512.entries.keys) && avx2.entries.count > 10)
        var differing: [String] = []
        for name in avx2.entries.keys.sorted() {
            let same = try avx2.withBytes(of: name) { first in try avx512.withBytes(of: name) { second in first.elementsEqual(second) } }
            if !same { differing.append(name) }
        }
        #expect(differing.isEmpty, "\(config): tensors that differ between AVX2 and AVX-512: \(differing)")
    }
}
