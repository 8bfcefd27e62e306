using Google.Protobuf;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Onnx.Proto;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.HostileInput;

/// <summary>
/// Malformed and malicious model files, one kind at a time. Each must end in an OctetException whose
/// message names the problem (and the node or tensor, where there is one): no other exception type, no
/// crash, no hang, no attempt to allocate what the file merely claims.
/// </summary>
public sealed class TargetedHostileInputTests
{
    private static byte[] Mnist => File.ReadAllBytes(TestData.Model("mnist-8"));

    // ---- Bytes that are not a whole ONNX model ----

    [Fact]
    public void Empty_file_is_rejected() => Hostile.ExpectRejection([], "empty");

    [Fact]
    public void Missing_file_is_rejected()
    {
        using var folder = new TempFolder();
        Hostile.ExpectRejection(folder.File("nothing-here.onnx"), null, "does not exist");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void File_cut_inside_the_header_is_rejected(int length) =>
        Hostile.ExpectRejection(Mnist[..length], "model.onnx");

    [Fact]
    public void File_cut_inside_an_initializer_is_rejected()
    {
        var bytes = Mnist;
        var model = OnnxGraphReader.ParseModel(bytes);
        // mnist-8 keeps its weights in float_data; re-serializing an initializer finds its bytes in the file.
        var largest = model.Graph.Initializer.OrderByDescending(t => t.CalculateSize()).First().ToByteArray();
        int start = bytes.AsSpan().IndexOf(largest);
        Assert.True(start > 0);
        Hostile.ExpectRejection(bytes[..(start + largest.Length / 2)], "not a valid ONNX model");
    }

    [Fact]
    public void File_cut_inside_a_node_is_rejected()
    {
        var bytes = Mnist;
        int conv = bytes.AsSpan().IndexOf("Convolution28"u8);
        Assert.True(conv > 0);
        Hostile.ExpectRejection(bytes[..(conv + 4)], "not a valid ONNX model");
    }

    [Fact]
    public void File_missing_its_last_byte_is_rejected()
    {
        var bytes = Mnist;
        Hostile.ExpectRejection(bytes[..^1], "model.onnx");
    }

    [Fact]
    public void File_cut_anywhere_is_rejected_or_still_a_valid_prefix()
    {
        // Most cuts leave a truncated field; a cut that falls between fields leaves a shorter valid
        // message, which may even load (a model without its last fields). Neither may crash.
        var bytes = Mnist;
        using var folder = new TempFolder();
        for (int cut = 1; cut < bytes.Length; cut += 97)
        {
            var path = folder.File($"cut{cut}.onnx");
            File.WriteAllBytes(path, bytes[..cut]);
            Hostile.LoadOrReject(path, $"mnist-8 cut at {cut}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 16)]
    [InlineData(3, 100)]
    [InlineData(4, 4096)]
    [InlineData(5, 100_000)]
    [InlineData(6, 1_000_000)]
    public void Random_bytes_are_rejected(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        Hostile.ExpectRejection(bytes, "model.onnx");
    }

    [Fact]
    public void Protobuf_without_a_graph_is_rejected() =>
        Hostile.ExpectRejection(new ModelProto { IrVersion = 8 }.ToByteArray(), "no graph");

    [Fact]
    public void Huge_length_prefix_is_rejected_without_allocating_it()
    {
        // graph (field 7, length-delimited) claiming 2^31 - 1 bytes in a 10-byte file.
        Hostile.ExpectRejection([0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x0A, 0x00, 0x00, 0x00], "not a valid ONNX model");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Malformed_tensor_files_are_rejected(int seed)
    {
        // input_K.pb files: random bytes, a truncated valid tensor, a tensor whose dims contradict its data.
        using var folder = new TempFolder();
        var path = folder.File("input_0.pb");
        var valid = TensorProtos.Create("x", Tensor.Create(new Shape(4), new[] { 1f, 2f, 3f, 4f }), TensorStorage.RawData);
        byte[] bytes = seed switch
        {
            1 => RandomBytes(seed, 333),
            2 => valid.ToByteArray()[..^3],
            _ => WithDims(valid, 5).ToByteArray(),
        };
        File.WriteAllBytes(path, bytes);
        var (finished, error) = Hostile.Run(() => OnnxTensorReader.ReadFile(path));
        Assert.True(finished);
        var octet = Assert.IsType<OctetException>(error, exactMatch: true);
        Assert.Contains("input_0.pb", octet.Message);
    }

    private static byte[] RandomBytes(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static TensorProto WithDims(TensorProto tensor, params long[] dims)
    {
        var copy = tensor.Clone();
        copy.Dims.Clear();
        copy.Dims.AddRange(dims);
        return copy;
    }

    // ---- Subgraphs nested too deeply ----

    [Theory]
    [InlineData(10_000)]
    [InlineData(200)]
    public void Deeply_nested_subgraphs_do_not_overflow_the_stack(int depth)
    {
        var message = Hostile.ExpectRejection(NestedIfModel(depth), "not a valid ONNX model").Message;
        Assert.Contains("nesting", message);
    }

    [Fact]
    public void Deeply_nested_unknown_groups_do_not_overflow_the_stack()
    {
        // 100,000 START_GROUP tags of an unknown field (100): the parser skips unknown groups recursively.
        var bytes = new byte[200_000];
        for (int i = 0; i < bytes.Length; i += 2) (bytes[i], bytes[i + 1]) = (0xA3, 0x06);
        Hostile.ExpectRejection(bytes, "not a valid ONNX model");
    }

    [Fact]
    public void Moderately_nested_subgraphs_are_read_and_the_If_refused_by_name()
    {
        Hostile.ExpectRejection(NestedIfModel(20), "'If_outer'", "If");
    }

    /// <summary>A model whose If node's then_branch holds an If whose then_branch holds an If, … <paramref name="depth"/> deep.</summary>
    private static byte[] NestedIfModel(int depth)
    {
        var wire = new ProtoWire();                                        // innermost: an empty GraphProto
        for (int level = 0; level < depth; level++)
        {
            wire.WrapAsField(6)                                            // AttributeProto.g
                .PrependInt(20, (long)AttributeProto.Types.AttributeType.Graph)
                .PrependString(1, "then_branch")
                .WrapAsField(5)                                            // NodeProto.attribute
                .PrependString(4, "If")
                .PrependString(3, level == depth - 1 ? "If_outer" : $"If_{level}")
                .PrependString(2, "y")
                .PrependString(1, "cond")
                .WrapAsField(1);                                           // GraphProto.node
        }
        wire.PrependMessage(11, OnnxModelBuilder.ValueInfo("cond", ElementType.Bool, [1]).ToByteArray())
            .PrependMessage(12, OnnxModelBuilder.ValueInfo("y", ElementType.Float32, [1]).ToByteArray())
            .WrapAsField(7)                                                // ModelProto.graph
            .PrependMessage(8, new OperatorSetIdProto { Domain = "", Version = 13 }.ToByteArray())
            .PrependInt(1, 8);                                             // ir_version
        return wire.ToArray();
    }

    // ---- Sizes that are absurd or inconsistent ----

    [Fact]
    public void Initializer_claiming_2_to_the_40_elements_is_rejected()
    {
        var proto = new TensorProto { Name = "huge", DataType = (int)ElementType.Float32, RawData = ByteString.CopyFrom(new byte[16]) };
        proto.Dims.AddRange([1L << 20, 1L << 20]);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("huge"), "'huge'", "elements");
    }

    [Fact]
    public void Initializer_whose_dims_overflow_64_bits_is_rejected()
    {
        var proto = new TensorProto { Name = "overflow", DataType = (int)ElementType.Float32 };
        proto.Dims.AddRange([1L << 40, 1L << 40, 1L << 40]);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("overflow"), "'overflow'", "elements");
    }

    [Fact]
    public void Initializer_with_a_huge_dim_and_a_zero_dim_is_rejected()
    {
        var proto = new TensorProto { Name = "wide", DataType = (int)ElementType.Float32 };
        proto.Dims.AddRange([0, 1L << 40]);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("wide"), "'wide'");
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(1L << 29)]   // fits in an int, but 2 × 2^29 is over the per-tensor limit
    [InlineData(long.MaxValue)]
    public void Input_claiming_absurd_dims_is_rejected(long dim)
    {
        var model = new OnnxModelBuilder().Input("pixels", ElementType.Float32, 2, dim).Output("y");
        model.Node("Relu", ["pixels"], ["y"]);
        Hostile.ExpectRejection(model, "'pixels'", "elements");
    }

    [Fact]
    public void Shape_binding_with_absurd_dims_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, "N", "M").Output("y");
        model.Node("Relu", ["x"], ["y"]);
        using var folder = new TempFolder();
        var options = new LoadOptions { Shapes = ShapeBindings.Parse(["x=65536x65536"]) };
        Hostile.ExpectRejection(model.Save(folder.Path), options, "'x'", "elements");
    }

    [Fact]
    public void External_tensor_of_2_GiB_is_rejected_before_reading()
    {
        // 2^28 int64 elements is within the element limit but 2 GiB of bytes. The file is sparse, so
        // making it costs nothing; reading it would.
        using var folder = new TempFolder();
        using (var file = File.Create(folder.File("big.bin"))) file.SetLength(1L << 31);
        var model = new OnnxModelBuilder().ExternalReference("big", ElementType.Int64, [1 << 28], "big.bin").Output("big", ElementType.Int64);
        Hostile.ExpectRejection(model.Save(folder.Path), null, "'big'", "more than Octet reads");
    }

    [Fact]
    public void Initializer_with_a_negative_dim_is_rejected()
    {
        var proto = new TensorProto { Name = "neg", DataType = (int)ElementType.Float32 };
        proto.Dims.AddRange([-1, 2]);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("neg"), "'neg'", "negative");
    }

    [Fact]
    public void Input_with_a_negative_inner_dim_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 1, -3).Output("y");
        model.Node("Relu", ["x"], ["y"]);
        Hostile.ExpectRejection(model, "'x'", "dim 1");
    }

    [Theory]
    [InlineData(7)]   // fewer bytes than 2 floats need
    [InlineData(9)]   // more
    [InlineData(0)]
    public void Raw_data_size_contradicting_the_dims_is_rejected(int bytes)
    {
        var proto = new TensorProto { Name = "w", DataType = (int)ElementType.Float32, RawData = ByteString.CopyFrom(new byte[bytes]) };
        proto.Dims.Add(2);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("w"), "'w'", $"raw data has {bytes} bytes");
    }

    [Fact]
    public void Typed_field_count_contradicting_the_dims_is_rejected()
    {
        var proto = new TensorProto { Name = "w", DataType = (int)ElementType.Float32 };
        proto.Dims.AddRange([2, 2]);
        proto.FloatData.AddRange([1f, 2f, 3f]);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("w"), "'w'", "float_data holds 3 values");
    }

    [Fact]
    public void Int64_typed_field_count_contradicting_the_dims_is_rejected()
    {
        var proto = new TensorProto { Name = "shape", DataType = (int)ElementType.Int64 };
        proto.Dims.Add(3);
        proto.Int64Data.AddRange([1L, 2L, 3L, 4L]);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("shape", ElementType.Int64), "'shape'", "int64_data holds 4");
    }

    [Fact]
    public void Constant_node_with_an_absurd_tensor_is_rejected()
    {
        var proto = new TensorProto { DataType = (int)ElementType.Float32 };
        proto.Dims.AddRange([1L << 31, 1L << 31]);
        var model = new OnnxModelBuilder().Output("c");
        model.Node("Constant", [], ["c"], Attr.Tensor("value", proto)).Name = "bomb";
        Hostile.ExpectRejection(model, "'bomb'", "'value'", "elements");
    }

    // ---- Element types ----

    [Theory]
    [InlineData(99)]
    [InlineData(-1)]
    [InlineData(0)]
    public void Initializer_with_an_unknown_element_type_code_is_rejected(int code)
    {
        var proto = new TensorProto { Name = "w", DataType = code };
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("w"), "'w'", $"code {code}");
    }

    [Theory]
    [InlineData(ElementType.String, "string")]
    [InlineData(ElementType.Float64, "double")]
    [InlineData(ElementType.Complex64, "complex64")]
    public void Initializer_with_an_unsupported_element_type_is_rejected(ElementType type, string name)
    {
        var proto = new TensorProto { Name = "w", DataType = (int)type };
        proto.Dims.Add(1);
        Hostile.ExpectRejection(new OnnxModelBuilder().Initializer(proto).Output("w"), "'w'", name);
    }

    [Theory]
    [InlineData(99, "code 99")]
    [InlineData(0, "undefined")]
    public void Input_with_an_unknown_element_type_code_is_rejected(int code, string mention)
    {
        var model = new OnnxModelBuilder().Input("x", (ElementType)code, 2).Output("x");
        Hostile.ExpectRejection(model, "'x'", mention);
    }

    // ---- Graph structure ----

    [Fact]
    public void Cycle_is_rejected_naming_its_nodes()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("c");
        model.Node("Add", ["x", "b"], ["a"]).Name = "first";
        model.Node("Relu", ["a"], ["b"]).Name = "second";
        model.Node("Relu", ["b"], ["c"]).Name = "third";
        Hostile.ExpectRejection(model, "cycle", "'first'", "'second'");
    }

    [Fact]
    public void Node_reading_its_own_output_is_a_cycle()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("a");
        model.Node("Add", ["x", "a"], ["a"]).Name = "self";
        Hostile.ExpectRejection(model, "cycle", "'self'");
    }

    [Fact]
    public void Dangling_tensor_name_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Add", ["x", "ghost"], ["y"]).Name = "adder";
        Hostile.ExpectRejection(model, "'adder'", "'ghost'");
    }

    [Fact]
    public void Graph_output_nobody_produces_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y").Output("phantom");
        model.Node("Relu", ["x"], ["y"]);
        Hostile.ExpectRejection(model, "'phantom'");
    }

    [Fact]
    public void Tensor_produced_twice_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Relu", ["x"], ["y"]).Name = "one";
        model.Node("Exp", ["x"], ["y"]).Name = "two";
        Hostile.ExpectRejection(model, "'y'", "'one'", "'two'");
    }

    [Fact]
    public void Node_overwriting_an_initializer_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Initializer("w", [1f, 2f], 2).Output("w");
        model.Node("Relu", ["x"], ["w"]).Name = "overwrite";
        Hostile.ExpectRejection(model, "'overwrite'", "'w'");
    }

    [Fact]
    public void Initializer_defined_twice_is_rejected()
    {
        var model = new OnnxModelBuilder().Initializer("w", [1f], 1).Initializer("w", [2f], 1).Output("w");
        Hostile.ExpectRejection(model, "'w'", "twice");
    }

    [Fact]
    public void Graph_input_listed_twice_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Input("x", ElementType.Float32, 2).Output("x");
        Hostile.ExpectRejection(model, "'x'", "twice");
    }

    [Fact]
    public void Node_without_op_type_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("", ["x"], ["y"]).Name = "nameless_op";
        Hostile.ExpectRejection(model, "'nameless_op'", "op_type");
    }

    [Fact]
    public void Graph_without_outputs_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2);
        Hostile.ExpectRejection(model, "no outputs");
    }

    [Fact]
    public void Long_chain_of_nodes_loads_without_recursion()
    {
        const int length = 20_000;
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 4).Output($"t{length}");
        // Written last-to-first so the sort has the whole chain to reorder.
        for (int i = length; i >= 1; i--) model.Node("Relu", [i == 1 ? "x" : $"t{i - 1}"], [$"t{i}"]);
        using var folder = new TempFolder();
        var graph = Hostile.LoadOrReject(model.Save(folder.Path), "20,000-node chain");
        Assert.NotNull(graph);
        Assert.Equal(length, graph.Nodes.Count);
        Assert.Equal("t1", graph.Nodes[0].Outputs[0]);
    }

    // ---- Constant folding that would expand a small file into gigabytes ----

    /// <summary>Loads under the time limit, returning the graph and the bytes the load allocated.</summary>
    private static (ModelGraph Graph, long AllocatedBytes) LoadMeasured(OnnxModelBuilder model)
    {
        using var folder = new TempFolder();
        var path = model.Save(folder.Path);
        ModelGraph? graph = null;
        long allocated = 0;
        var (finished, error) = Hostile.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            graph = OnnxModelLoader.Load(path);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.True(finished, "loading did not finish in time");
        Assert.Null(error);
        return (graph!, allocated);
    }

    [Fact]
    public void Expanding_a_constant_to_a_gigabyte_is_not_folded()
    {
        // 2^28 floats (1 GiB) from 2 numbers: left to run, not computed at load.
        var model = new OnnxModelBuilder(13).Initializer("one", [1f]).Initializer("shape", [16384L, 16384L], 2).Output("big");
        model.Node("Expand", ["one", "shape"], ["big"]).Name = "expand";
        var (graph, allocated) = LoadMeasured(model);

        Assert.Equal("expand", Assert.Single(graph.Nodes).Name);
        Assert.Equal(new Shape(16384, 16384), graph.Tensor("big").Shape);
        Assert.False(graph.Tensor("big").IsConstant);
        Assert.True(allocated < 64L << 20, $"loading allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Long_chain_of_folded_constants_stops_at_the_folding_budget()
    {
        // ConstantOfShape makes 2^20 floats (4 MiB), then 100 Adds would fold 400 MiB more.
        var model = new OnnxModelBuilder(13).Initializer("shape", [1024L, 1024L], 2).Output("c100");
        model.Node("ConstantOfShape", ["shape"], ["c0"], Attr.Tensor("value", Tensor.Create(new Shape(1), new[] { 1f })));
        for (int i = 0; i < 100; i++) model.Node("Add", [$"c{i}", $"c{i}"], [$"c{i + 1}"]);
        var (graph, allocated) = LoadMeasured(model);

        Assert.True(graph.Tensor("c1").IsConstant, "small folds still happen");
        Assert.True(graph.Nodes.Count > 50, $"only {graph.Nodes.Count} nodes left unfolded");
        Assert.True(allocated < 256L << 20, $"loading allocated {allocated:N0} bytes");
    }

    // ---- Attributes ----

    [Fact]
    public void Attribute_of_the_wrong_type_is_rejected_naming_node_and_attribute()
    {
        var model = new OnnxModelBuilder()
            .Input("x", ElementType.Float32, 1, 1, 4, 4)
            .Initializer("w", new float[9], 1, 1, 3, 3)
            .Output("y");
        model.Node("Conv", ["x", "w"], ["y"], Attr.Float("strides", 1f)).Name = "conv";
        Hostile.ExpectRejection(model, "'conv'", "'strides'");
    }

    [Fact]
    public void Attribute_declared_as_one_type_but_holding_another_is_rejected()
    {
        // type says INTS, but the value sits in 'floats': the ints are simply empty, which Conv must refuse.
        var strides = new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints };
        strides.Floats.AddRange([1f, 1f]);
        var model = new OnnxModelBuilder()
            .Input("x", ElementType.Float32, 1, 1, 4, 4)
            .Initializer("w", new float[9], 1, 1, 3, 3)
            .Output("y");
        model.Node("Conv", ["x", "w"], ["y"], strides).Name = "conv";
        Hostile.ExpectRejection(model, "'conv'", "strides");
    }

    [Fact]
    public void Attribute_without_name_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Relu", ["x"], ["y"], Attr.Int("", 1)).Name = "r";
        Hostile.ExpectRejection(model, "'r'", "without a name");
    }

    [Fact]
    public void Attribute_without_type_or_value_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Relu", ["x"], ["y"], new AttributeProto { Name = "mystery" }).Name = "r";
        Hostile.ExpectRejection(model, "'r'", "'mystery'", "no type");
    }

    [Fact]
    public void Attribute_given_twice_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("LeakyRelu", ["x"], ["y"], Attr.Float("alpha", 0.1f), Attr.Float("alpha", 0.2f)).Name = "leaky";
        Hostile.ExpectRejection(model, "'leaky'", "'alpha'", "twice");
    }

    [Fact]
    public void Attribute_with_an_unknown_type_code_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("y");
        model.Node("Relu", ["x"], ["y"], new AttributeProto { Name = "odd", Type = (AttributeProto.Types.AttributeType)77, I = 3 }).Name = "r";
        Hostile.ExpectRejection(model, "'r'", "'odd'");
    }

    [Fact]
    public void Sparse_initializer_is_rejected()
    {
        var model = new OnnxModelBuilder().Input("x", ElementType.Float32, 2).Output("x");
        model.Graph.SparseInitializer.Add(new SparseTensorProto { Values = new TensorProto { Name = "sparse_w", DataType = 1 } });
        Hostile.ExpectRejection(model, "'sparse_w'", "sparse");
    }
}
