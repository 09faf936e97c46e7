# Reference run of R `sae` (eblupFH, mseFH) on the golden milk data.
#
#   Rscript sae_milk.R <folder with sae's R/eblupFH.R and R/mseFH.R> <milk.csv> > sae_milk.out
#
# Run on 2026-11-30 with R 4.2.2 (Debian r-base-core) and the source of CRAN `sae`
# (R/eblupFH.R at commit 7a8200f, R/mseFH.R at bce6152 of the cran/sae mirror): CRAN
# itself is unreachable from the development machine, so the package's functions were
# sourced rather than installed. Nothing of sae is part of this repository.
args <- commandArgs(trailingOnly = TRUE)
source(file.path(args[1], "eblupFH.R"))
source(file.path(args[1], "mseFH.R"))
milk <- read.csv(args[2])
milk$vardir <- milk$SD^2
for (method in c("REML", "ML")) {
  r <- eblupFH(yi ~ as.factor(MajorArea), vardir, method = method, data = milk)
  cat(method, "refvar", sprintf("%.10f", r$fit$refvar), "\n")
  cat(method, "beta", sprintf("%.7f", r$fit$estcoef$beta), "\n")
  cat(method, "loglike", sprintf("%.7f", r$fit$goodness["loglike"]), "\n")
  cat(method, "eblup", sprintf("%.7f", r$eblup), "\n")
  m <- mseFH(yi ~ as.factor(MajorArea), vardir, method = method, data = milk)
  cat(method, "mse", sprintf("%.9f", m$mse), "\n")
}
