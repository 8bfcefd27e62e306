using Octet.Compiler.Diagnostics;
using Octet.Compiler.Onnx;
using Octet.Compiler.Onnx.Proto;
using Octet.Tests.TestSupport;

namespace Octet.Tests.HostileInput;

/// <summary>
/// One real model that mutants are made from: its bytes, its parsed form for structural mutations, and
/// the shape bindings its dynamic inputs need to load.
/// </summary>
internal sealed record SeedModel(string Name, string Path, byte[] Bytes, ModelProto Proto, LoadOptions Options)
{
    public override string ToString() => Name;
}

/// <summary>
/// The small real models mutants are made from: mnist-8, cifar10-classifier, the ort-synthetic models and
/// the ONNX node cases — those of them that Octet loads unmutated, so that mutations reach past the
/// "operator not supported" check (the set grows as operators are added, which changes which model a
/// seed picks; a seed reproduces a mutant at a given commit). Multi-megabyte models are left out: each
/// mutant is loaded from scratch, and thousands of them must run in seconds.
/// </summary>
internal static class MutationCorpus
{
    private const long MaxModelBytes = 300_000;

    private static readonly Lazy<(IReadOnlyList<SeedModel> Whole, IReadOnlyList<SeedModel> NodeCases)> Models = new(Read);

    /// <summary>Whole networks (mnist-8, cifar10, ort-synthetic).</summary>
    public static IReadOnlyList<SeedModel> WholeModels => Models.Value.Whole;

    /// <summary>One-operator graphs of the ONNX backend node tests.</summary>
    public static IReadOnlyList<SeedModel> NodeCases => Models.Value.NodeCases;

    /// <summary>A seed model: whole networks a third of the time (there are few), node cases otherwise.</summary>
    public static SeedModel Pick(Random random) =>
        WholeModels.Count > 0 && random.Next(3) == 0 ? WholeModels[random.Next(WholeModels.Count)] : NodeCases[random.Next(NodeCases.Count)];

    private static (IReadOnlyList<SeedModel>, IReadOnlyList<SeedModel>) Read()
    {
        var whole = new List<string> { TestData.Model("mnist-8"), TestData.Model("cifar10-classifier") };
        whole.AddRange(Directory.GetFiles(Path.Combine(TestData.Folder, "models", "ort-synthetic"), "*.onnx").Order(StringComparer.Ordinal));
        var nodeCases = Directory.GetDirectories(TestData.NodeCases).Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "model.onnx"));
        return (Load(whole, f => Path.GetRelativePath(Path.Combine(TestData.Folder, "models"), f)),
                Load(nodeCases, f => Path.GetFileName(Path.GetDirectoryName(f))!));
    }

    private static List<SeedModel> Load(IEnumerable<string> files, Func<string, string> name) => files
        .Where(f => File.Exists(f) && new FileInfo(f).Length <= MaxModelBytes)
        .Select(f =>
        {
            var bytes = File.ReadAllBytes(f);
            var proto = OnnxGraphReader.ParseModel(bytes);
            var options = new LoadOptions { Shapes = BindDynamicDims(proto) };
            return new SeedModel(name(f), f, bytes, proto, options);
        })
        .Where(Loads)
        .ToList();

    private static bool Loads(SeedModel model)
    {
        try
        {
            OnnxModelLoader.Load(model.Path, model.Options);
            return true;
        }
        catch (OctetException)
        {
            return false;
        }
    }

    /// <summary>Small sizes for the dynamic dims of the inputs (batch 1, others 4), as a user would give with --shape.</summary>
    private static ShapeBindings BindDynamicDims(ModelProto model)
    {
        var bindings = new ShapeBindings();
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var input in model.Graph.Input)
        {
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null || initializers.Contains(input.Name)) continue;
            bool dynamic = dims.Any(d => !d.HasDimValue || d.DimValue <= 0);
            if (dynamic && !bindings.Shapes.ContainsKey(input.Name))
                bindings.Add(input.Name, dims.Select((d, i) => d.HasDimValue && d.DimValue > 0 ? (int)Math.Min(d.DimValue, 1 << 20) : i == 0 ? 1 : 4).ToArray());
        }
        return bindings;
    }
}
