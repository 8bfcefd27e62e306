using Octet.Compiler.Graph;
using Octet.Tests.FrontEnd;

namespace Octet.Tests.Models.Transformers;

/// <summary>
/// Writes a small ViT-style image classifier as ONNX (opset 17), with fixed pseudo-random weights from a
/// seeded generator, so the model is reproducible code rather than an opaque file:
/// <code>
/// image [1, 3, S, S] → Conv (patch embedding, kernel = stride = P) → [1, D, S/P, S/P] → Reshape [1, D, N]
///   → Transpose [1, N, D] → Concat(class token, ·) → + position embedding          (T = N + 1 tokens)
/// block × B:  h = x + Proj(Attention(LayerNorm(x)));  x' = h + MLP(LayerNorm(h))
///   Attention: Q, K, V = MatMul + bias → Reshape [1, T, H, Dh] → Transpose (Kᵀ directly) →
///              Softmax(Q·Kᵀ · 1/√Dh) · V → Transpose → Reshape [1, T, D]
///   MLP: MatMul + bias → GELU (exported decomposed: 0.5·x·(1 + Erf(x / √2))) → MatMul + bias
/// LayerNorm → Gather token 0 → Gemm head → logits [1, classes]
/// </code>
/// LayerNorm is the opset-17 operator; GELU is written in the decomposed erf form PyTorch exports before
/// opset 20, so pattern fusion is exercised on it.
/// </summary>
internal sealed class VitModelWriter
{
    public int ImageSize { get; init; } = 16;
    public int PatchSize { get; init; } = 4;
    public int Channels { get; init; } = 3;
    public int Width { get; init; } = 32;
    public int Heads { get; init; } = 4;
    public int MlpWidth { get; init; } = 64;
    public int Blocks { get; init; } = 4;
    public int Classes { get; init; } = 10;
    public int Seed { get; init; } = 20240611;

    /// <summary>
    /// Channels 0 … OutlierChannels − 1 of every block LayerNorm get γ and β multiplied by <see cref="OutlierScale"/>:
    /// the per-channel outliers of trained ViTs' post-LayerNorm activations (RepQ-ViT's motivation). 0 by default
    /// (the model is then the same as without these settings).
    /// </summary>
    public int OutlierChannels { get; init; }
    public float OutlierScale { get; init; } = 8;

    public const string InputName = "image";
    public const string OutputName = "logits";

    public int Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    /// <summary>Writes the model into <paramref name="folder"/> and returns its path.</summary>
    public string Save(string folder, string fileName = "vit.onnx") => Build().Save(folder, fileName);

    public OnnxModelBuilder Build()
    {
        if (ImageSize % PatchSize != 0 || Width % Heads != 0) throw new ArgumentException("image size must be a multiple of the patch size, width of the head count");
        var random = new Random(Seed);
        var b = new OnnxModelBuilder(opset: 17, graphName: "vit_tiny")
            .Input(InputName, ElementType.Float32, 1, Channels, ImageSize, ImageSize)
            .Output(OutputName, ElementType.Float32, 1, Classes);
        int grid = ImageSize / PatchSize, patches = grid * grid, headWidth = Width / Heads;

        // Weights ~ U(−a, a) with a = 1/√fan_in (PyTorch's default Linear/Conv init), so activations stay O(1).
        float[] Uniform(int count, int fanIn, float scale = 1f)
        {
            float a = scale / MathF.Sqrt(fanIn);
            var values = new float[count];
            for (int i = 0; i < count; i++) values[i] = (random.NextSingle() * 2 - 1) * a;
            return values;
        }
        float[] Around(int count, float center, float spread)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++) values[i] = center + (random.NextSingle() * 2 - 1) * spread;
            return values;
        }
        float[] WithOutliers(float[] values)
        {
            for (int c = 0; c < Math.Min(OutlierChannels, values.Length); c++) values[c] *= OutlierScale;
            return values;
        }
        void Scalar(string name, float value) => b.Initializer(name, [value]);
        void Shape(string name, params long[] dims) => b.Initializer(name, dims, dims.Length);

        // Patch embedding.
        int patchFanIn = Channels * PatchSize * PatchSize;
        b.Initializer("patch.weight", Uniform(Width * patchFanIn, patchFanIn), Width, Channels, PatchSize, PatchSize);
        b.Initializer("patch.bias", Uniform(Width, patchFanIn), Width);
        b.Node("Conv", [InputName, "patch.weight", "patch.bias"], ["patch.out"],
            Attr.Ints("kernel_shape", PatchSize, PatchSize), Attr.Ints("strides", PatchSize, PatchSize));
        Shape("patch.flat_shape", 1, Width, patches);
        b.Node("Reshape", ["patch.out", "patch.flat_shape"], ["patch.flat"]);
        b.Node("Transpose", ["patch.flat"], ["patch.tokens"], Attr.Ints("perm", 0, 2, 1));
        b.Initializer("cls_token", Around(Width, 0, 0.5f), 1, 1, Width);
        b.Node("Concat", ["cls_token", "patch.tokens"], ["tokens"], Attr.Int("axis", 1));
        b.Initializer("pos_embedding", Around(Tokens * Width, 0, 0.5f), 1, Tokens, Width);
        b.Node("Add", ["tokens", "pos_embedding"], ["block0.in"]);

        Shape("heads_shape", 1, Tokens, Heads, headWidth);
        Shape("tokens_shape", 1, Tokens, Width);
        Scalar("attention_scale", 1 / MathF.Sqrt(headWidth));
        Scalar("gelu.sqrt2", MathF.Sqrt(2));
        Scalar("gelu.one", 1);
        Scalar("gelu.half", 0.5f);

        string x = "block0.in";
        for (int k = 0; k < Blocks; k++)
        {
            string p = $"block{k}.";
            string LayerNorm(string input, string name)
            {
                b.Initializer(p + name + ".weight", WithOutliers(Around(Width, 1, 0.2f)), Width);
                b.Initializer(p + name + ".bias", WithOutliers(Around(Width, 0, 0.1f)), Width);
                b.Node("LayerNormalization", [input, p + name + ".weight", p + name + ".bias"], [p + name], Attr.Int("axis", -1), Attr.Float("epsilon", 1e-6f));
                return p + name;
            }
            string Linear(string input, string name, int inputs, int outputs)
            {
                b.Initializer(p + name + ".weight", Uniform(inputs * outputs, inputs), inputs, outputs);
                b.Initializer(p + name + ".bias", Uniform(outputs, inputs), outputs);
                b.Node("MatMul", [input, p + name + ".weight"], [p + name + ".matmul"]);
                b.Node("Add", [p + name + ".matmul", p + name + ".bias"], [p + name]);
                return p + name;
            }

            var normed = LayerNorm(x, "norm1");
            var q = Linear(normed, "q", Width, Width);
            var kk = Linear(normed, "k", Width, Width);
            var v = Linear(normed, "v", Width, Width);
            foreach (var t in new[] { q, kk, v }) b.Node("Reshape", [t, "heads_shape"], [t + ".heads"]);
            b.Node("Transpose", [q + ".heads"], [q + ".t"], Attr.Ints("perm", 0, 2, 1, 3));
            b.Node("Transpose", [kk + ".heads"], [kk + ".t"], Attr.Ints("perm", 0, 2, 3, 1));
            b.Node("Transpose", [v + ".heads"], [v + ".t"], Attr.Ints("perm", 0, 2, 1, 3));
            b.Node("MatMul", [q + ".t", kk + ".t"], [p + "scores"]);
            b.Node("Mul", [p + "scores", "attention_scale"], [p + "scaled_scores"]);
            b.Node("Softmax", [p + "scaled_scores"], [p + "attention"], Attr.Int("axis", -1));
            b.Node("MatMul", [p + "attention", v + ".t"], [p + "context.heads"]);
            b.Node("Transpose", [p + "context.heads"], [p + "context.t"], Attr.Ints("perm", 0, 2, 1, 3));
            b.Node("Reshape", [p + "context.t", "tokens_shape"], [p + "context"]);
            var projected = Linear(p + "context", "proj", Width, Width);
            b.Node("Add", [x, projected], [p + "residual1"]);

            var normed2 = LayerNorm(p + "residual1", "norm2");
            var hidden = Linear(normed2, "fc1", Width, MlpWidth);
            b.Node("Div", [hidden, "gelu.sqrt2"], [p + "gelu.scaled"]);
            b.Node("Erf", [p + "gelu.scaled"], [p + "gelu.erf"]);
            b.Node("Add", [p + "gelu.erf", "gelu.one"], [p + "gelu.gate"]);
            b.Node("Mul", [hidden, p + "gelu.gate"], [p + "gelu.product"]);
            b.Node("Mul", [p + "gelu.product", "gelu.half"], [p + "gelu"]);
            var mlp = Linear(p + "gelu", "fc2", MlpWidth, Width);
            string next = k == Blocks - 1 ? "encoder.out" : $"block{k + 1}.in";
            b.Node("Add", [p + "residual1", mlp], [next]);
            x = next;
        }

        b.Initializer("final_norm.weight", Around(Width, 1, 0.2f), Width);
        b.Initializer("final_norm.bias", Around(Width, 0, 0.1f), Width);
        b.Node("LayerNormalization", [x, "final_norm.weight", "final_norm.bias"], ["final_norm"], Attr.Int("axis", -1), Attr.Float("epsilon", 1e-6f));
        b.Initializer("class_index", new long[] { 0 }, []);
        b.Node("Gather", ["final_norm", "class_index"], ["class_features"], Attr.Int("axis", 1));
        b.Initializer("head.weight", Uniform(Classes * Width, Width, 3f), Classes, Width);
        b.Initializer("head.bias", Uniform(Classes, Width), Classes);
        b.Node("Gemm", ["class_features", "head.weight", "head.bias"], [OutputName], Attr.Int("transB", 1));
        return b;
    }
}
