using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Onnx.Proto;
using Octet.Compiler.Operators;
using Octet.Tests.TestSupport;

namespace Octet.Tests.Conformance;

/// <summary>
/// One ONNX backend node case (<c>Tests/Data/onnx-node/&lt;case&gt;</c>): its operators, and why it is excluded
/// when Octet by design does not run it. Exclusion is decided from the file alone — an element type Octet
/// does not compute in, or an operator it does not implement — never from whether the case passes.
/// </summary>
public sealed record ConformanceCase(string Name, string Folder, IReadOnlyList<string> Operators, string? ExclusionReason)
{
    public override string ToString() => Name;

    public static IReadOnlyList<ConformanceCase> All { get; } = Directory.GetDirectories(TestData.NodeCases)
        .OrderBy(d => d, StringComparer.Ordinal)
        .Select(Classify)
        .ToList();

    private static ConformanceCase Classify(string folder)
    {
        var name = Path.GetFileName(folder);
        var model = OnnxGraphReader.ParseModel(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
        var operators = model.Graph.Node.Select(n => n.OpType).Distinct().ToList();
        return new ConformanceCase(name, folder, operators, Exclusion(model, folder));
    }

    private static string? Exclusion(ModelProto model, string folder)
    {
        var types = new SortedSet<string>(StringComparer.Ordinal);
        void Note(int code)
        {
            var type = (ElementType)code;
            if (!type.IsSupported()) types.Add(Enum.IsDefined(type) ? type.OnnxName() : $"type {code}");
        }
        foreach (var v in model.Graph.Input.Concat(model.Graph.Output))
            if (v.Type?.TensorType is { } t) Note(t.ElemType);
        foreach (var init in model.Graph.Initializer) Note(init.DataType);
        foreach (var node in model.Graph.Node)
        foreach (var a in node.Attribute)
        {
            if (a.T is not null) Note(a.T.DataType);
            // Cast/CastLike/QuantizeLinear 'to' / 'output_dtype' name a result type.
            if (a.Name is "to" or "output_dtype" && a.I != 0) Note((int)a.I);
        }
        foreach (var pb in Directory.GetFiles(Path.Combine(folder, "test_data_set_0"), "*.pb"))
            Note(TensorProto.Parser.ParseFrom(File.ReadAllBytes(pb)).DataType);
        if (types.Count > 0)
            return $"element type {string.Join(", ", types)} (Octet computes in float, int8, uint8, int16, int32, int64, bool)";

        var opset = model.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => (int)o.Version).FirstOrDefault();
        var missing = model.Graph.Node
            .Where(n => OperatorRegistry.Default.Find(n.Domain ?? "", n.OpType) is null)
            .Select(n => n.OpType).Distinct().ToList();
        if (missing.Count > 0)
            return $"operator {string.Join(", ", missing)} not implemented";
        return null;
    }
}
