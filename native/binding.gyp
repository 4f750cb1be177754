{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
    "cflags_cc": ["-O3", "-ffp-contract=fast", "-fno-math-errno", "-fvisibility=hidden", "-Wall", "-Wno-unused-function"],
    "cflags_cc!": ["-O2", "-Os"],
    "xcode_settings": {
      "GCC_OPTIMIZATION_LEVEL": "3",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=fast", "-fno-math-errno"]
    },
    "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}
  },
  "targets": [
    {
      "target_name": "recurrent_native",
      "sources": ["src/addon.cpp", "src/pool.cpp", "src/steps.cpp", "src/kernels_generic.cpp"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["RN_HAVE_X86_TABLES"],
          "dependencies": ["kernels_avx2", "kernels_avx512"]
        }],
        ["OS!='win'", {"libraries": ["-lpthread"]}]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "kernels_avx2",
          "type": "static_library",
          "sources": ["src/kernels_avx2.cpp"],
          "defines": ["RN_HAVE_X86_TABLES"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=fast", "-mavx2", "-mfma"]}
        },
        {
          "target_name": "kernels_avx512",
          "type": "static_library",
          "sources": ["src/kernels_avx512.cpp"],
          "defines": ["RN_HAVE_X86_TABLES"],
          "cflags_cc": ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mavx2", "-mfma", "-mf16c", "-mprefer-vector-width=512"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=fast", "-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mavx2", "-mfma"]}
        }
      ]
    }]
  ]
}
