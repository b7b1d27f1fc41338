import ArgumentParser
import Compute
import Ingest

/// `qf info`: what this build links against and how it is configured.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print library versions and compute settings.")

    func run() throws {
        let config = try ComputeConfiguration.fromEnvironment(processEnvironment())
        config.apply()
        print("OpenBLAS:      \(BLAS.configuration)")
        print("BLAS kernel:   \(BLAS.coreName)")
        print("BLAS threads:  \(BLAS.threadCount) (QF_BLAS_THREADS)")
        let own = GemmKernels.active == .openblas ? "every product on OpenBLAS"
            : "QuantForge's \(GemmKernels.active.rawValue) kernels for products up to \(GemmKernels.largestOperand / 1024) K floats of weight, OpenBLAS beyond"
            + (GemmKernels.active == .avx2 ? avx2HandOffs : "")
        print("Products:      \(own) (\(GemmKernels.reason); QF_GEMM)")
        print("HDF5:          \(HDF5Library.versionString)")
    }

    /// The products the AVX2 family leaves to OpenBLAS below the size limit, as `qf info` says it.
    private var avx2HandOffs: String {
        let deep = GemmKernels.avx2DeepGradient, tall = GemmKernels.avx2TallProduct
        return ", and for weight gradients of \(deep.m)+ × \(deep.n)+ over batches of \(deep.k)+ rows"
            + " and products of \(tall.m)+ rows against \(tall.weight / 1024)+ K floats of weight"
    }
}
