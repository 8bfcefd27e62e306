namespace Octet.Generator.Plan
{
    /// <summary>
    /// A model plan: everything the generator needs to emit one model class, and nothing it would have to
    /// compute. Written by the compiler (<c>octet compile</c>, the MSBuild target) with <see cref="PlanWriter"/>,
    /// read by the generator with <see cref="PlanParser"/>; the text format is specified in docs/model-plan.md.
    /// Plain records with value equality (lists are <see cref="EquatableArray{T}"/>).
    /// </summary>
    /// <param name="Version">The format version; this code reads and writes <see cref="CurrentVersion"/> only.</param>
    /// <param name="Model">The model's name (the ONNX file's stem), used in comments and messages.</param>
    /// <param name="Source">The ONNX file name (no folder, so the plan does not depend on where the model sits) and its SHA-256.</param>
    /// <param name="Numerics">"integer-only", "ort-compatible" or "float32".</param>
    /// <param name="Memory">Arena size and the planner's report.</param>
    /// <param name="Weights">Size and SHA-256 of the packed weights blob this plan refers into.</param>
    /// <param name="Inputs">The graph inputs, in ONNX order.</param>
    /// <param name="Outputs">The graph outputs, in ONNX order.</param>
    /// <param name="Tensors">Every tensor an op reads or writes: activations in the arena, constants in the weights or inline.</param>
    /// <param name="Ops">The ops in execution order.</param>
    public sealed record ModelPlan(
        int Version,
        string Model,
        PlanSource Source,
        string Numerics,
        PlanMemory Memory,
        PlanWeights Weights,
        EquatableArray<PlanEdge> Inputs,
        EquatableArray<PlanEdge> Outputs,
        EquatableArray<PlanTensor> Tensors,
        EquatableArray<PlanOp> Ops)
    {
        public const int CurrentVersion = 1;

        public const string IntegerOnly = "integer-only";
        public const string OrtCompatible = "ort-compatible";
        public const string Float32 = "float32";
    }

    public sealed record PlanSource(string FileName, string Sha256);

    /// <param name="ArenaBytes">Size of the one arena every activation lives in (a multiple of 64).</param>
    /// <param name="LowerBoundBytes">Peak of simultaneously live bytes: no placement can use less.</param>
    /// <param name="NaiveBytes">Sum of all activation sizes: what one buffer per tensor would take.</param>
    public sealed record PlanMemory(long ArenaBytes, long LowerBoundBytes, long NaiveBytes);

    public sealed record PlanWeights(long Bytes, string Sha256);

    /// <summary>
    /// A graph input or output as the generated API shows it: its ONNX name, element type and shape, and the
    /// arena tensor that holds it. When the model quantizes an input (or dequantizes an output) right at the
    /// edge, <see cref="Quantized"/> names the 8-bit tensor on the other side of that step; the step itself is
    /// not among the ops, so <c>Run</c> does it while <c>RunQuantized</c> reads or writes the 8-bit tensor directly.
    /// </summary>
    /// <param name="Name">The ONNX graph input/output name.</param>
    /// <param name="Tensor">The float (or other typed) arena tensor of that name, in ONNX layout.</param>
    public sealed record PlanEdge(string Name, string Tensor, PlanEdgeQuantization? Quantized);

    /// <summary>y = saturate(round_half_even(x / Scale) + ZeroPoint) into <see cref="Tensor"/> on input; x = (y − ZeroPoint) · Scale on output.</summary>
    public sealed record PlanEdgeQuantization(string Tensor, string ElementType, float Scale, int ZeroPoint);

    /// <summary>Where a tensor's bytes are.</summary>
    public enum PlanStorage
    {
        /// <summary>In the arena, at <see cref="PlanTensor.Offset"/>.</summary>
        Arena,
        /// <summary>In the packed weights blob, at <see cref="PlanTensor.Offset"/> (a multiple of 64).</summary>
        Weights,
        /// <summary>Written out in the plan itself (<see cref="PlanTensor.Values"/>): small constants.</summary>
        Inline,
    }

    /// <summary>
    /// One tensor. <see cref="Shape"/> is always the logical ONNX shape; <see cref="Layout"/> says how its
    /// elements are ordered in memory: "rowmajor" (the ONNX order), "NHWC" (a rank-4 NCHW tensor stored
    /// channels last), or for packed weights the packing ("OHWI": conv weights [M, C/g, kh, kw] stored as
    /// [M][kh][kw][C/g]; "NK": a [K, N] matrix stored as [N][K], one row per output column).
    /// </summary>
    /// <param name="ElementType">ONNX element type name: "float32", "int8", "uint8", "int16", "int32", "int64".</param>
    /// <param name="Values">Inline constants only: the values, in <see cref="Layout"/> order, as written in the plan
    /// (integers in decimal, floats round-trippable).</param>
    public sealed record PlanTensor(
        string Name,
        string ElementType,
        EquatableArray<int> Shape,
        string Layout,
        PlanStorage Storage,
        long Offset,
        long Bytes,
        EquatableArray<string> Values);

    /// <summary>
    /// One op of the schedule. <see cref="OpType"/> is the ONNX op type for default-domain ops ("Conv",
    /// "MaxPool") and domain-qualified otherwise ("octet.QConv", "octet.Relayout"). <see cref="Inputs"/> uses
    /// "" for an absent optional input. <see cref="From"/> names the ONNX nodes this op implements, for the
    /// comment on its kernel method: each entry is "&lt;onnx-op-type&gt; &lt;onnx-node-name&gt;" (split at the first space;
    /// the node name may be empty or contain spaces), built with <see cref="FromEntry"/>.
    /// </summary>
    public sealed record PlanOp(
        int Index,
        string OpType,
        string Name,
        EquatableArray<string> From,
        EquatableArray<string> Inputs,
        EquatableArray<string> Outputs,
        EquatableArray<PlanAttribute> Attributes)
    {
        /// <summary>One <see cref="From"/> entry: the ONNX op type, a space, the ONNX node name.</summary>
        public static string FromEntry(string onnxOpType, string onnxNodeName) => onnxOpType + " " + onnxNodeName;

        /// <summary>Splits a <see cref="From"/> entry back into the ONNX op type and node name.</summary>
        public static void SplitFrom(string entry, out string onnxOpType, out string onnxNodeName)
        {
            int space = entry.IndexOf(' ');
            onnxOpType = space < 0 ? entry : entry.Substring(0, space);
            onnxNodeName = space < 0 ? "" : entry.Substring(space + 1);
        }
    }

    public enum PlanAttributeKind { Int, Ints, Float, Floats, String }

    /// <summary>An op attribute. Values are kept as their plan text (invariant culture, round-trippable), so equality is textual.</summary>
    public sealed record PlanAttribute(string Name, PlanAttributeKind Kind, EquatableArray<string> Values);
}
