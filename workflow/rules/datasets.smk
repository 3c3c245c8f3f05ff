# Stage 1 of the MNIST tasks: the composite two-digit datasets (Sec. 5.5), each built once from the
# original MNIST files and cached as uint8 .npz, shared by every trial that learns from it.


rule mnist_data:
    output:
        str(paths.mnist_dataset("{dataset}", "{split}", "{n}")),
    log:
        log_path("data", "mnist_{dataset}_{split}_c{n}.log"),
    benchmark:
        benchmark_path("data", "mnist_{dataset}_{split}_c{n}.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        sculpt=SCULPT,
        root=lambda wildcards, output: PLAN.mnist_root(output[0]),
    shell:
        "{params.sculpt} mnist-data --root {params.root:q} --task {wildcards.dataset:q} "
        "--split {wildcards.split:q} --composites-per-pair {wildcards.n:q} -o {output:q} "
        "> {log:q} 2>&1"


# A laptop-sized two-digit task (README "Your own task"): scikit-learn's 8x8 digits, which ship with
# it, composed side by side like the MNIST composites; a dataset file like any researcher's own.
rule digits_data:
    output:
        str(paths.digits_dataset("{n}")),
    log:
        log_path("data", "digits_two_digits_c{n}.log"),
    benchmark:
        benchmark_path("data", "digits_two_digits_c{n}.tsv")
    conda:
        CPU_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        sculpt=SCULPT,
    shell:
        "{params.sculpt} digits-data --composites-per-pair {wildcards.n:q} -o {output:q} "
        "> {log:q} 2>&1"
