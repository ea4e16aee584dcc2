// Package config is kindling's configuration: the types of config.yaml
// with their defaults (Default), reading the file strictly through
// internal/yamlx, the KINDLING_* environment and the token file
// (Load, ReadFile, Parse, ApplyEnv, LoadToken), and Validate, which
// reports every problem at once, each naming its key.
//
// Only the main package reads a Config; it hands the other packages
// plain values and options. This package must never import bot, web,
// store or telegram, never start anything, and never let a secret out
// of the Config it returns: what is printed goes through Masked first.
package config
