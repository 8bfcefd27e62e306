using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Patterns;
using Octet.Tests.FrontEnd;
using Octet.Tests.Models.Transformers;
using Octet.Tests.TestSupport;

namespace Octet.Tests.Quantization.Transformers;

/// <summary>The transformer test models, loaded, and the random inputs they are judged on.</summary>
internal static class TransformerModels
{
    public const int BertSequence = 8;
    public static string BertToyPath => TestData.Synthetic("bert_toy_optimized.onnx");
    public static string DistilBertAttentionPath => TestData.Synthetic("attention_distilbert.onnx");

    public static ModelGraph LoadBertToy() => OnnxModelLoader.Load(BertToyPath, ShapeBindings.Parse(
        [$"input_ids=1x{BertSequence}", $"token_type_ids=1x{BertSequence}", $"input_mask=1x{BertSequence}"]));

    /// <summary>
    /// attention_distilbert declares input_1 as [1,1,8] but its constant attention mask holds 3 tokens (Reshape to
    /// [batch, 1, 1, seq] fails for seq = 1): the model was exported for 3 tokens, so it loads as [1,3,8].
    /// </summary>
    public static readonly string[] DistilBertShapes = ["input_1=1x3x8"];

    /// <summary>
    /// attention_distilbert bound to the 3 tokens it was exported for (<see cref="DistilBertShapes"/>, replacing the
    /// declared dimension), through the upgrade of ONNX Runtime's pre-17 LayerNormalization.
    /// </summary>
    public static ModelGraph LoadDistilBertAttention() => LegacyLayerNormalization.Load(DistilBertAttentionPath,
        new LoadOptions { Shapes = ShapeBindings.Parse(DistilBertShapes), OverrideDeclaredDims = true });

    /// <summary>The ViT written by <see cref="VitModelWriter"/> into <paramref name="folder"/>, and its path.</summary>
    public static (ModelGraph Graph, string Path) LoadVit(string folder)
    {
        var path = new VitModelWriter().Save(folder);
        return (OnnxModelLoader.Load(path), path);
    }

    /// <summary>
    /// Deterministic inputs for any of the models: token ids uniform over the vocabulary (99 words), segment ids
    /// 0 or 1, attention masks of 1 with the last 0 to 3 tokens masked; float inputs standard normal.
    /// </summary>
    public static List<Dictionary<string, Tensor>> RandomInputs(ModelGraph graph, int count, int seed)
    {
        var random = new Random(seed);
        var result = new List<Dictionary<string, Tensor>>();
        for (int s = 0; s < count; s++)
        {
            var sample = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var input in graph.Inputs)
            {
                var info = graph.Tensor(input);
                int n = (int)info.Shape.ElementCount;
                if (info.ElementType == ElementType.Int64)
                {
                    var values = new long[n];
                    int masked = random.Next(4);
                    for (int i = 0; i < n; i++)
                        values[i] = input switch
                        {
                            "input_ids" => random.Next(99),
                            "token_type_ids" => random.Next(2),
                            "input_mask" => i < n - masked ? 1 : 0,
                            _ => random.Next(2),
                        };
                    sample[input] = Tensor.Create(info.Shape, values);
                }
                else
                {
                    var values = new float[n];
                    for (int i = 0; i < n; i++) values[i] = Normal(random);
                    sample[input] = Tensor.Create(info.Shape, values);
                }
            }
            result.Add(sample);
        }
        return result;
    }

    private static float Normal(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
