using Octet.Compiler.Analysis;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Onnx;

/// <summary>
/// The front end in one call: read an ONNX file, bind shapes, infer every tensor's static type and shape,
/// and fold constants. The result is ready for the reference executor and for later stages.
/// </summary>
public static class OnnxModelLoader
{
    public static ModelGraph Load(string path, ShapeBindings? shapes = null) =>
        Load(path, new LoadOptions { Shapes = shapes ?? new ShapeBindings() });

    public static ModelGraph Load(string path, LoadOptions options)
    {
        var graph = OnnxGraphReader.Read(path, options);
        ShapeInference.Run(graph);
        return graph;
    }
}
